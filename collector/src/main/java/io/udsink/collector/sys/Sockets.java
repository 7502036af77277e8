package io.udsink.collector.sys;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.newsclub.net.unix.FileDescriptorCast;

/** Socket calls junixsocket does not offer, on the descriptors junixsocket's channels hold. */
public final class Sockets {
  private static final int AF_UNIX = 1;
  private static final int SOCK_STREAM = 1;
  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_NONBLOCK = 04000;
  private static final int SOCK_CLOEXEC = 02000000;
  private static final short POLLOUT = 4;
  private static final int SO_SNDTIMEO = 21;

  /** {@code sun_path} holds this many bytes, the terminating NUL of a path included. */
  private static final int SUN_PATH = 108;

  private Sockets() {}

  /**
   * The kernel's {@code net.unix.max_dgram_qlen}: a datagram socket's queue holds one datagram
   * more than this, then senders block or get EAGAIN.
   *
   * @return the value, or -1 when it cannot be read
   */
  public static int maxDgramQlen() {
    return io.udsink.collector.util.ProcFile.intOr(
        java.nio.file.Path.of("/proc/sys/net/unix/max_dgram_qlen"), -1);
  }

  /**
   * The descriptor number of a file descriptor object, through junixsocket's public cast.
   *
   * @param fd the descriptor object
   * @return its number
   * @throws IOException when it is not valid
   */
  public static int fd(FileDescriptor fd) throws IOException {
    return FileDescriptorCast.using(fd).as(Integer.class);
  }

  /**
   * {@code shutdown(fd, SHUT_RD)}: queued datagrams stay readable, and every later send fails
   * with EPIPE.
   *
   * @param fd a datagram socket
   * @throws IOException when the kernel refuses
   */
  public static void shutdownRead(int fd) throws IOException {
    Native.call(
        "shutdown(SHUT_RD)",
        (a, errno) -> (int) Libc.Receive.SHUTDOWN.invokeExact(errno, fd, Native.SHUT_RD));
  }

  /**
   * Sets {@code SO_PASSCRED}: from then on every datagram the socket receives carries its
   * sender's pid, uid and gid. Set it before {@code bind}: the kernel decides at send time, so a
   * datagram queued earlier has none.
   *
   * @param fd an AF_UNIX socket
   * @throws IOException when the kernel refuses
   */
  public static void passCredentials(int fd) throws IOException {
    Native.call(
        "setsockopt(SO_PASSCRED)",
        (a, errno) ->
            (int)
                Libc.SETSOCKOPT.invokeExact(
                    errno,
                    fd,
                    Native.SOL_SOCKET,
                    Native.SO_PASSCRED,
                    a.allocateFrom(ValueLayout.JAVA_INT, 1),
                    4));
  }

  /** A new AF_UNIX socket of this type (flags included), errno captured in {@code errno}. */
  private static int socket(MemorySegment errno, int type) throws Throwable {
    int fd = (int) Libc.SOCKET.invokeExact(errno, AF_UNIX, type, 0);
    if (fd < 0) {
      throw Native.error("socket", Native.errno(errno));
    }
    return fd;
  }

  /** A {@code struct sockaddr_un} for a path, or for {@code @name} in the abstract namespace. */
  private static MemorySegment sockaddr(Arena a, byte[] path, boolean abstractName) {
    MemorySegment addr = a.allocate(2 + SUN_PATH, 8);
    addr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
    MemorySegment.copy(path, 0, addr, ValueLayout.JAVA_BYTE, 2, path.length);
    if (abstractName) {
      addr.set(ValueLayout.JAVA_BYTE, 2, (byte) 0);
    }
    return addr;
  }

  /** The length of a {@link #sockaddr}: a path counts its NUL, an abstract name does not. */
  private static int sockaddrLength(byte[] path, boolean abstractName) {
    return 2 + path.length + (abstractName ? 0 : 1);
  }

  /**
   * Makes a new AF_UNIX datagram socket (non-blocking, close-on-exec, with {@code SO_PASSCRED})
   * and binds it at a path, which the kernel creates as the socket file.
   *
   * @param path where to bind: a path that does not exist yet
   * @return the bound descriptor, for the caller to own
   * @throws NativeException with errno when the kernel refuses (EADDRINUSE, EACCES, ...)
   */
  public static int bindDatagram(String path) throws IOException {
    byte[] p = path.getBytes(StandardCharsets.UTF_8);
    if (p.length == 0 || p.length >= SUN_PATH) {
      throw new IOException("socket path of " + p.length + " bytes: 1 to " + (SUN_PATH - 1));
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment errno = Native.errnoSegment(a);
      int fd = socket(errno, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
      boolean ok = false;
      try {
        passCredentials(fd); // before bind: the kernel attaches credentials at send time
        int r =
            (int) Libc.BIND.invokeExact(errno, fd, sockaddr(a, p, false), sockaddrLength(p, false));
        if (r != 0) {
          throw Native.error("bind " + path, Native.errno(errno));
        }
        ok = true;
        return fd;
      } finally {
        if (!ok) {
          int ignored = (int) Libc.CLOSE.invokeExact(errno, fd);
        }
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw Native.rethrow(t);
    }
  }

  /**
   * Closes a descriptor, reporting nothing (a path that gives up on it).
   *
   * @param fd the descriptor
   */
  public static void closeQuietly(int fd) {
    try (Arena a = Arena.ofConfined()) {
      int ignored = (int) Libc.CLOSE.invokeExact(Native.errnoSegment(a), fd);
    } catch (Throwable t) {
      // nothing to do: the descriptor is given up either way
    }
  }

  /**
   * Connects a new AF_UNIX stream socket to a path, waiting at most {@code timeoutMs} when the
   * listener's backlog is full (a blocking connect would wait for ever: junixsocket's own connect
   * ignores its timeout there). The socket keeps that send timeout.
   *
   * @param path the listening socket's path
   * @param timeoutMs the most to wait
   * @return the connected descriptor, for the caller to own
   * @throws NativeException ENOENT or ECONNREFUSED when nobody listens, EAGAIN after the timeout
   */
  public static int connectStream(String path, long timeoutMs) throws IOException {
    byte[] p = path.getBytes(StandardCharsets.UTF_8);
    if (p.length == 0 || p.length >= SUN_PATH) {
      throw new IOException("socket path of " + p.length + " bytes: 1 to " + (SUN_PATH - 1));
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment errno = Native.errnoSegment(a);
      int fd = socket(errno, SOCK_STREAM | SOCK_CLOEXEC);
      boolean ok = false;
      try {
        sendTimeout(fd, timeoutMs);
        int r =
            (int)
                Libc.Send.CONNECT.invokeExact(
                    errno, fd, sockaddr(a, p, false), sockaddrLength(p, false));
        if (r != 0) {
          throw Native.error("connect " + path, Native.errno(errno));
        }
        ok = true;
        return fd;
      } finally {
        if (!ok) {
          int ignored = (int) Libc.CLOSE.invokeExact(errno, fd);
        }
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw Native.rethrow(t);
    }
  }

  /**
   * Sets {@code SO_SNDTIMEO}: a blocking send, and a blocking {@code connect} to a stream socket
   * whose backlog is full, give up after this long (0: wait forever).
   *
   * @param fd a socket
   * @param millis the timeout
   * @throws IOException when the kernel refuses
   */
  public static void sendTimeout(int fd, long millis) throws IOException {
    Native.call(
        "setsockopt(SO_SNDTIMEO)",
        (a, errno) -> {
          MemorySegment tv = a.allocate(16, 8); // struct timeval
          tv.set(ValueLayout.JAVA_LONG, 0, millis / 1000);
          tv.set(ValueLayout.JAVA_LONG, 8, (millis % 1000) * 1000);
          return (int)
              Libc.SETSOCKOPT.invokeExact(errno, fd, Native.SOL_SOCKET, SO_SNDTIMEO, tv, 16);
        });
  }

  /**
   * Sends one datagram to an AF_UNIX datagram socket from a new non-blocking socket, waiting
   * for room at most until the deadline: a receiver that does not read (a hung systemd) never
   * holds the caller longer.
   *
   * @param address a path, or {@code @name} in the abstract namespace
   * @param message the datagram
   * @param timeoutMs how long to wait for room in the receiver's queue
   * @throws IOException when it could not be sent, saying why
   */
  public static void sendDatagram(String address, byte[] message, long timeoutMs)
      throws IOException {
    byte[] path = address.getBytes(StandardCharsets.UTF_8);
    boolean abstractName = path.length > 0 && path[0] == '@';
    if (path.length == 0 || path.length >= SUN_PATH) {
      throw new IOException("socket address of " + path.length + " bytes: 1 to " + (SUN_PATH - 1));
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment errno = Native.errnoSegment(a);
      int fd = socket(errno, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
      try {
        MemorySegment addr = sockaddr(a, path, abstractName);
        int addrLen = sockaddrLength(path, abstractName);
        MemorySegment msg = a.allocate(Math.max(1, message.length));
        MemorySegment.copy(message, 0, msg, ValueLayout.JAVA_BYTE, 0, message.length);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        MemorySegment pfd = a.allocate(8, 4);
        while (true) {
          long r =
              (long)
                  Libc.Send.SENDTO.invokeExact(
                      errno,
                      fd,
                      msg,
                      (long) message.length,
                      Native.MSG_NOSIGNAL | Native.MSG_DONTWAIT,
                      addr,
                      addrLen);
          if (r >= 0) {
            return;
          }
          int e = Native.errno(errno);
          if (e != Native.EAGAIN && e != Native.EINTR) {
            throw Native.error("sendto " + address, e);
          }
          long leftMs = (deadline - System.nanoTime()) / 1_000_000L;
          if (leftMs <= 0) {
            throw new IOException(
                "sendto " + address + ": no room in its queue within " + timeoutMs + " ms");
          }
          pfd.set(ValueLayout.JAVA_INT, 0, fd);
          pfd.set(ValueLayout.JAVA_SHORT, 4, POLLOUT);
          pfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
          int p = (int) Libc.Send.POLL.invokeExact(errno, pfd, 1L, (int) Math.min(leftMs, 1000));
          if (p < 0 && Native.errno(errno) != Native.EINTR) {
            throw Native.error("poll", Native.errno(errno));
          }
        }
      } finally {
        int ignored = (int) Libc.CLOSE.invokeExact(errno, fd);
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw Native.rethrow(t);
    }
  }
}
