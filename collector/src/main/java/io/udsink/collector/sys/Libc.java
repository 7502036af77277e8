package io.udsink.collector.sys;

import static io.udsink.collector.sys.Native.ADDRESS;
import static io.udsink.collector.sys.Native.INT;
import static io.udsink.collector.sys.Native.LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * The C library functions the layer calls. Each handle but {@link Text#STRERROR} takes, before the
 * C function's arguments, the segment errno is captured in.
 *
 * <p>A handle costs the JDK a class and a stub of its own for each shape of function (some 7 ms
 * each at start-up, more for the first): this class holds what binding a socket needs, which
 * {@link Native#check()} loads before anything is bound; the nested classes hold what the receive
 * loop, the senders and the error messages need, made at their first use, after the socket is
 * there. {@link #DEFERRED} names their functions, so that the check still finds a missing one at
 * start.
 */
final class Libc {
  static final MethodHandle SOCKET =
      Native.function("socket", FunctionDescriptor.of(INT, INT, INT, INT), false);
  static final MethodHandle BIND =
      Native.function("bind", FunctionDescriptor.of(INT, INT, ADDRESS, INT), false);
  static final MethodHandle SETSOCKOPT =
      Native.function("setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, ADDRESS, INT), false);
  static final MethodHandle CLOSE =
      Native.function("close", FunctionDescriptor.of(INT, INT), false);
  static final MethodHandle OPENAT =
      Native.functionVariadic("openat", FunctionDescriptor.of(INT, INT, ADDRESS, INT, INT), 3);
  static final MethodHandle FCNTL =
      Native.functionVariadic("fcntl", FunctionDescriptor.of(INT, INT, INT, INT), 2);
  static final MethodHandle STATX =
      Native.function("statx", FunctionDescriptor.of(INT, INT, ADDRESS, INT, INT, ADDRESS), false);
  static final MethodHandle MKDIRAT =
      Native.function("mkdirat", FunctionDescriptor.of(INT, INT, ADDRESS, INT), false);
  static final MethodHandle FCHMOD =
      Native.function("fchmod", FunctionDescriptor.of(INT, INT, INT), false);
  static final MethodHandle FCHOWN =
      Native.function("fchown", FunctionDescriptor.of(INT, INT, INT, INT), false);
  static final MethodHandle UNLINKAT =
      Native.function("unlinkat", FunctionDescriptor.of(INT, INT, ADDRESS, INT), false);

  /** The functions of the nested classes, made later: checked to exist at start. */
  static final List<String> DEFERRED =
      List.of(
          "recvmmsg",
          "shutdown",
          "mmap",
          "munmap",
          "socket",
          "connect",
          "sendto",
          "poll",
          "strerror");

  private Libc() {}

  /** Loads every handle of this class (class initialisation), failing if one cannot be made. */
  static void load() {
    // the static initialisers above have run by the time this executes
  }

  /** What the receive loop calls. */
  static final class Receive {
    /** {@code int recvmmsg(int, struct mmsghdr *, unsigned, int, struct timespec *)}: returns at
     * once with MSG_DONTWAIT, so it skips the thread-state transition. */
    static final MethodHandle RECVMMSG =
        Native.function(
            "recvmmsg", FunctionDescriptor.of(INT, INT, ADDRESS, INT, INT, ADDRESS), true);

    static final MethodHandle SHUTDOWN =
        Native.function("shutdown", FunctionDescriptor.of(INT, INT, INT), false);

    /** {@code void *mmap(void *, size_t, int, int, int, off_t)}: pages nobody wrote take no memory. */
    static final MethodHandle MMAP =
        Native.function(
            "mmap", FunctionDescriptor.of(ADDRESS, ADDRESS, LONG, INT, INT, INT, LONG), false);

    static final MethodHandle MUNMAP =
        Native.function("munmap", FunctionDescriptor.of(INT, ADDRESS, LONG), false);

    private Receive() {}
  }

  /** What sends to a socket: readiness notifications, the takeover's control connection. */
  static final class Send {
    static final MethodHandle CONNECT =
        Native.function("connect", FunctionDescriptor.of(INT, INT, ADDRESS, INT), false);
    static final MethodHandle SENDTO =
        Native.function(
            "sendto", FunctionDescriptor.of(LONG, INT, ADDRESS, LONG, INT, ADDRESS, INT), false);
    static final MethodHandle POLL =
        Native.function("poll", FunctionDescriptor.of(INT, ADDRESS, LONG, INT), false);

    private Send() {}
  }

  /** The C library's text for an errno, for messages. */
  static final class Text {
    static final MethodHandle STRERROR =
        Native.plainFunction("strerror", FunctionDescriptor.of(ADDRESS, INT));

    private Text() {}
  }
}
