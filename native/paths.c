/*
 * Rampart's one native helper (optional; Linux only): tells in a single system call whether a path reaches
 * its end without passing a symbolic link.
 *
 * policy.md §3.2 has every file call judged by its symlink-resolved path as well. glibc's realpath(3) finds
 * that path with one readlink(2) per path component (six for a file five folders down) and Node adds its own
 * overhead per call; for a path with no link on the way, the answer is the path itself. openat2(2) with
 * RESOLVE_NO_SYMLINKS walks the path once and refuses (ELOOP) at the first symbolic link, so one call tells
 * "no link on the way" — the common case — and src/core/engine/paths.ts falls back to the full resolution for
 * everything else. Without this module (another OS, no compiler at install) Rampart gives the same answers,
 * only slower.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <node_api.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_PATH_BYTES 4096

/*
 * linkFree(path) -> number
 *    1  the path exists and no component of it is a symbolic link
 *    0  some component is a symbolic link (ELOOP)
 *   -e  the call failed with errno e: -ENOENT means a component is missing and every component before it is a
 *       real folder, not a link; anything else (EACCES, ENOTDIR, ENOSYS on old kernels, ...) is for the caller
 *       to resolve the slow way
 */
static napi_value LinkFree(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_value result;
  char path[MAX_PATH_BYTES + 1];
  size_t full = 0;
  size_t len = 0;
  int answer;

  /* The whole string's UTF-8 length first: a copy into the buffer stops short of a character that does not fit
     whole, so a clipped path could not be told from a complete one by the copied length alone. */
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], NULL, 0, &full) != napi_ok) {
    answer = -EINVAL;
  } else if (full >= MAX_PATH_BYTES) {
    answer = -ENAMETOOLONG;
  } else if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || len != full ||
             strlen(path) != len || path[0] != '/') {
    /* clipped after all, an embedded NUL, or relative: not this helper's to answer */
    answer = -EINVAL;
  } else {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS;
    long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    if (fd >= 0) {
      close((int)fd);
      answer = 1;
    } else {
      answer = errno == ELOOP ? 0 : -errno;
    }
  }
  if (napi_create_int32(env, answer, &result) != napi_ok) return NULL;
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "linkFree", NAPI_AUTO_LENGTH, LinkFree, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "linkFree", fn) != napi_ok) return NULL;
  return exports;
}
