package io.udsink.collector.transport;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

import org.newsclub.net.unix.AFUNIXDatagramChannel;

/**
 * {@code shutdown(fd, SHUT_RD)} for a junixsocket datagram channel.
 *
 * <p>This is what makes a stop lossless: after it, every send to the socket fails with EPIPE
 * while the datagrams already queued stay readable, so the receiver can drain until empty and
 * know that nothing more will arrive. junixsocket offers no public way to do it for datagram
 * sockets ({@code close()} does SHUT_RDWR and discards the queue), so this calls its
 * package-private native {@code NativeUnixSocket.shutdown(FileDescriptor, int)}.
 * {@code SocketShutdownTest} proves that a sender gets EPIPE afterwards, so a junixsocket
 * upgrade that breaks this fails the build.
 */
public final class SocketShutdown {
  private static final int SHUT_RD = 0;
  private static final Method SHUTDOWN = findShutdown();

  private SocketShutdown() {
  }

  private static Method findShutdown() {
    try {
      Class<?> nativeClass = Class.forName("org.newsclub.net.unix.NativeUnixSocket");
      Method m = nativeClass.getDeclaredMethod("shutdown", FileDescriptor.class, int.class);
      m.setAccessible(true);
      return m;
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new ExceptionInInitializerError(
          "junixsocket no longer has NativeUnixSocket.shutdown(FileDescriptor, int): " + e);
    }
  }

  /**
   * Fails now, rather than at the first stop, when the shutdown route is missing.
   */
  public static void ensureAvailable() {
    if (SHUTDOWN == null) {
      throw new IllegalStateException("shutdown(SHUT_RD) unavailable");
    }
  }

  /**
   * Shuts the channel down for reading. Queued datagrams stay readable; new sends fail with EPIPE.
   *
   * @param channel a bound datagram channel
   * @throws IOException when the kernel refuses
   */
  public static void shutdownInput(AFUNIXDatagramChannel channel) throws IOException {
    try {
      SHUTDOWN.invoke(null, channel.getFileDescriptor(), SHUT_RD);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException) {
        throw (IOException) cause;
      }
      throw new IOException("shutdown(SHUT_RD) failed: " + cause, cause);
    } catch (IllegalAccessException e) {
      throw new IOException("shutdown(SHUT_RD) not accessible: " + e, e);
    }
  }
}
