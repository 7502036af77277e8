package io.udsink.collector.sys;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/** A system call failed: which one, and errno by name and by the C library's text. */
public final class NativeException extends IOException {
  private static final long serialVersionUID = 1L;
  private static final Map<Integer, String> NAMES =
      Map.ofEntries(
          Map.entry(1, "EPERM"),
          Map.entry(2, "ENOENT"),
          Map.entry(4, "EINTR"),
          Map.entry(5, "EIO"),
          Map.entry(6, "ENXIO"),
          Map.entry(9, "EBADF"),
          Map.entry(11, "EAGAIN"),
          Map.entry(12, "ENOMEM"),
          Map.entry(13, "EACCES"),
          Map.entry(14, "EFAULT"),
          Map.entry(17, "EEXIST"),
          Map.entry(18, "EXDEV"),
          Map.entry(20, "ENOTDIR"),
          Map.entry(21, "EISDIR"),
          Map.entry(22, "EINVAL"),
          Map.entry(24, "EMFILE"),
          Map.entry(28, "ENOSPC"),
          Map.entry(30, "EROFS"),
          Map.entry(32, "EPIPE"),
          Map.entry(36, "ENAMETOOLONG"),
          Map.entry(38, "ENOSYS"),
          Map.entry(39, "ENOTEMPTY"),
          Map.entry(40, "ELOOP"),
          Map.entry(88, "ENOTSOCK"),
          Map.entry(95, "EOPNOTSUPP"),
          Map.entry(107, "ENOTCONN"),
          Map.entry(111, "ECONNREFUSED"));

  private final int errno;

  NativeException(String call, int errno) {
    super(call + ": " + NAMES.getOrDefault(errno, "errno " + errno) + " (" + text(errno) + ")");
    this.errno = errno;
  }

  /** The errno value. */
  public int errno() {
    return errno;
  }

  /** True when the call failed because a path component was a symbolic link. */
  public boolean isSymlink() {
    return errno == Native.ELOOP;
  }

  /** True when the file was not there. */
  public boolean isNotFound() {
    return errno == Native.ENOENT;
  }

  private static String text(int errno) {
    try {
      MemorySegment s = (MemorySegment) Libc.Text.STRERROR.invokeExact(errno);
      return s.reinterpret(256).getString(0);
    } catch (Throwable t) {
      return "errno " + errno;
    }
  }
}
