package io.udsink.collector.sys;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * The C library's functions as method handles, and the constants that differ between
 * architectures. Every handle captures {@code errno} (reading it afterwards by any other means is
 * unreliable: the JVM makes system calls of its own in between).
 */
public final class Native {
  static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
  static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
  static final ValueLayout ADDRESS = ValueLayout.ADDRESS;

  /** Why the layer cannot run here, or null. Decided before anything native is touched. */
  private static final String UNSUPPORTED = unsupported();

  /** The linker and errno capture: loaded only once the platform is known to be supported. */
  private static final class Ffm {
    static final Linker LINKER = Linker.nativeLinker();
    static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    static final VarHandle ERRNO =
        CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");
  }

  private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));

  // errno values (the same on x86_64 and aarch64)
  static final int EINTR = 4;
  static final int EAGAIN = 11;
  static final int ENOENT = 2;
  static final int EEXIST = 17;
  static final int ELOOP = 40;
  static final int ENOTDIR = 20;

  // socket options and flags
  static final int SOL_SOCKET = 1;
  static final int SO_PASSCRED = 16;
  static final int SCM_CREDENTIALS = 2;
  static final int MSG_CTRUNC = 0x8;
  static final int MSG_TRUNC = 0x20;
  static final int MSG_DONTWAIT = 0x40;
  static final int MSG_NOSIGNAL = 0x4000;
  static final int SHUT_RD = 0;

  // open(2) flags
  static final int O_RDONLY = 0;
  static final int O_WRONLY = 1;
  static final int O_CREAT = 0100;
  static final int O_EXCL = 0200;
  static final int O_APPEND = 02000;
  static final int O_NONBLOCK = 04000;
  static final int O_CLOEXEC = 02000000;
  static final int O_PATH = 010000000;
  static final int O_NOFOLLOW = AARCH64 ? 0100000 : 0400000;
  static final int O_DIRECTORY = AARCH64 ? 040000 : 0200000;
  static final int AT_FDCWD = -100;
  static final int AT_SYMLINK_NOFOLLOW = 0x100;
  static final int AT_REMOVEDIR = 0x200;
  static final int AT_EMPTY_PATH = 0x1000;

  private Native() {}

  private static String unsupported() {
    String os = System.getProperty("os.name", "");
    String arch = System.getProperty("os.arch", "");
    if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
      return "udsink's native layer runs on Linux only; this is " + os;
    }
    if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("aarch64")) {
      return "udsink's native layer knows the Linux constants of x86_64 and aarch64 only; "
          + "this is "
          + arch;
    }
    return null;
  }

  /**
   * Fails unless the native layer runs here: the OS, the architecture, the C library's functions
   * and the permission to call them ({@code --enable-native-access}). Makes the handles binding a
   * socket needs; the others are made at their first use (their functions are looked up now).
   *
   * @throws NativeUnavailableException saying exactly what is missing
   */
  public static void check() {
    if (UNSUPPORTED != null) {
      throw new NativeUnavailableException(UNSUPPORTED, null);
    }
    try {
      Libc.load();
      for (String name : Libc.DEFERRED) {
        if (Ffm.LINKER.defaultLookup().find(name).isEmpty()) {
          throw new NativeUnavailableException("the C library has no " + name + "()", null);
        }
      }
    } catch (ExceptionInInitializerError e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof NativeUnavailableException n) {
        throw n;
      }
      throw new NativeUnavailableException("udsink's native layer cannot load: " + cause, cause);
    } catch (NativeUnavailableException e) {
      throw e;
    } catch (RuntimeException | LinkageError e) {
      throw new NativeUnavailableException("udsink's native layer cannot load: " + e, e);
    }
  }

  /**
   * A downcall handle for a C library function; its first parameter is the errno capture
   * segment.
   */
  static MethodHandle function(String name, FunctionDescriptor fd, boolean critical) {
    if (UNSUPPORTED != null) {
      throw new NativeUnavailableException(UNSUPPORTED, null);
    }
    MemorySegment symbol =
        Ffm.LINKER
            .defaultLookup()
            .find(name)
            .orElseThrow(
                () -> new NativeUnavailableException("the C library has no " + name + "()", null));
    return critical
        ? Ffm.LINKER.downcallHandle(symbol, fd, Ffm.ERRNO_OPTION, Linker.Option.critical(false))
        : Ffm.LINKER.downcallHandle(symbol, fd, Ffm.ERRNO_OPTION);
  }

  /** As {@link #function}, for a C function whose arguments from {@code firstVariadic} on are
   * variadic ({@code openat}'s mode). */
  static MethodHandle functionVariadic(String name, FunctionDescriptor fd, int firstVariadic) {
    if (UNSUPPORTED != null) {
      throw new NativeUnavailableException(UNSUPPORTED, null);
    }
    MemorySegment symbol =
        Ffm.LINKER
            .defaultLookup()
            .find(name)
            .orElseThrow(
                () -> new NativeUnavailableException("the C library has no " + name + "()", null));
    return Ffm.LINKER.downcallHandle(
        symbol, fd, Ffm.ERRNO_OPTION, Linker.Option.firstVariadicArg(firstVariadic));
  }

  /** A downcall handle that captures nothing (a function that does not fail). */
  static MethodHandle plainFunction(String name, FunctionDescriptor fd) {
    MemorySegment symbol =
        Ffm.LINKER
            .defaultLookup()
            .find(name)
            .orElseThrow(
                () -> new NativeUnavailableException("the C library has no " + name + "()", null));
    return Ffm.LINKER.downcallHandle(symbol, fd);
  }

  /** A segment to capture errno in, from the given arena. */
  static MemorySegment errnoSegment(Arena arena) {
    return arena.allocate(Ffm.CAPTURE);
  }

  /** The errno a call captured. */
  static int errno(MemorySegment capture) {
    return (int) Ffm.ERRNO.get(capture, 0L);
  }

  /** An exception for a failed call: the function, errno's name and the C library's text. */
  static IOException error(String call, int errno) {
    return new NativeException(call, errno);
  }

  /** One downcall, given a confined arena and the segment errno is captured in. */
  @FunctionalInterface
  interface Call {
    /** Makes the call; returns the C function's result. */
    long invoke(Arena arena, MemorySegment errno) throws Throwable;
  }

  /**
   * Makes a call that returns -1 (or any negative value) on failure, in an arena of its own.
   *
   * @param what the call, for the message
   * @param call the call
   * @return its result
   * @throws NativeException with errno when it failed
   */
  static long call(String what, Call call) throws IOException {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment errno = errnoSegment(a);
      long r = call.invoke(a, errno);
      if (r < 0) {
        throw error(what, errno(errno));
      }
      return r;
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** Rethrows what a downcall handle threw: it declares Throwable. */
  static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException(t);
  }
}
