// Writing output files so that nobody ever sees a half-written one.
//
// Content goes to a temporary file next to the target and is renamed over it once complete
// (rename is atomic within a file system). While a temporary file exists its path is
// registered, so a SIGINT/SIGTERM handler (install_interrupt_cleanup) can delete it: an
// interrupted run leaves the previous file or none.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

namespace cimsim {

// Writes `content` to `path` atomically. Throws InputError if the directory is not writable.
void write_file_atomic(const std::string& path, const std::string& content);

// Streams into a temporary file through `fill`, then renames it to `path`. If `fill` throws,
// the temporary file is removed and the exception propagates; `path` is untouched.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& fill);

// Fails early (InputError) if `path` could not be written later: its directory is missing or
// not writable, or it names a directory. Call before a long run, not after it.
void check_output_path(const std::string& path);

// The same for a directory that outputs will be written into (created if missing): fails if
// `dir` names a file, or if it or the nearest existing parent is not a writable directory.
void check_output_dir(const std::string& dir);

// Installs SIGINT/SIGTERM handlers that remove registered temporary files and exit(130/143).
void install_interrupt_cleanup();

}  // namespace cimsim
