// Internals of the workload folder shared by its source files (not a public header).
#pragma once

#include "cimsim/config/json_file.hpp"
#include "cimsim/workload/workload.hpp"

namespace cimsim::workload::detail {

// Checks that span the model and the run (context length, 64-bit size limits). `doc`, when
// given, supplies file and JSON-path provenance for the message.
void check_workload(const Workload& w, const config::ConfigDoc* doc);

// Re-validates a workload built in code (lower() accepts any Workload) exactly as a file
// would be validated; throws InputError.
void validate(const Workload& w);

// Throws OverflowError if some tensor size, FLOP count or the op count of the workload's
// trace does not fit 64 bits (lowers the first and the last phase without keeping them).
void check_sizes(const Workload& w);

// Ops of the workload's trace (every phase lowered as the first: an estimate for mixtures of
// experts, whose op count depends on routing).
uint64_t count_ops(const Workload& w);

// A Hugging Face model config (hf_import.cpp): a JSON object with "model_type" (and no
// cimsim "model" section).
bool is_hf_config(const Json& j);

// The workload document of a Hugging Face config.json: the mapped fields as a workload file
// would hold them, every value attributed to `file`. InputError naming the file and the
// Hugging Face field for an unsupported model type, a missing size or a value the workload
// model cannot represent.
config::ConfigDoc import_hf_config(const Json& j, const std::string& file);

}  // namespace cimsim::workload::detail
