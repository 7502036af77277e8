package io.udsink.collector.transport;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

import org.newsclub.net.unix.AFUNIXDatagramChannel;

/**
 * The receive path of the hot loop: one {@code recv(2)} per datagram through junixsocket's native
 * {@code NativeUnixSocket.receive}, called through a constant method handle.
 *
 * <p>{@code AFUNIXDatagramChannel.read} reaches the same native call, but per datagram it also
 * enters and leaves the interruptible-channel protocol (two monitor enters), checks for virtual
 * threads and allocates a lambda; profiled under a blocking sender those cost about a tenth of
 * the receiver's time, and a receiver that falls behind then also pays for waking the sender.
 * Called with no sender-address buffer and without the datagram-mode option, the native call
 * returns the datagram's length, 0 for an empty queue (EAGAIN on a non-blocking socket), and -1
 * for a zero-length datagram. If junixsocket changes so that the handle cannot be found, udsink
 * falls back to {@code read()}, which has the same three results.
 */
final class NativeReceive {
  private static final int OPT_NON_BLOCKING = 4;
  private static final MethodHandle RECEIVE = find();

  private NativeReceive() {
  }

  private static MethodHandle find() {
    try {
      Class<?> nativeClass = Class.forName("org.newsclub.net.unix.NativeUnixSocket");
      Class<?> ancillary = Class.forName("org.newsclub.net.unix.AncillaryDataSupport");
      Method m = nativeClass.getDeclaredMethod("receive", FileDescriptor.class, ByteBuffer.class,
          int.class, int.class, ByteBuffer.class, int.class, ancillary, int.class);
      m.setAccessible(true);
      MethodHandle mh = MethodHandles.lookup().unreflect(m);
      // bind sender address = null and ancillary support = null:
      // (fd, buf, offset, length, options, timeoutMillis) -> int
      mh = MethodHandles.insertArguments(mh, 6, (Object) null);
      mh = MethodHandles.insertArguments(mh, 4, (Object) null);
      return mh.asType(MethodType.methodType(int.class, FileDescriptor.class, ByteBuffer.class,
          int.class, int.class, int.class, int.class));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** True when the direct native route is in use. */
  static boolean available() {
    return RECEIVE != null;
  }

  /**
   * Receives one datagram into {@code dst} from position 0, leaving the buffer's position alone.
   *
   * @return its length (&gt; 0), 0 for an empty queue, -1 for a zero-length datagram
   */
  static int receive(AFUNIXDatagramChannel channel, FileDescriptor fd, ByteBuffer dst)
      throws IOException {
    if (RECEIVE == null) {
      dst.clear();
      return channel.read(dst);
    }
    try {
      return (int) RECEIVE.invokeExact(fd, dst, 0, dst.capacity(), OPT_NON_BLOCKING, 0);
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException(t);
    }
  }
}
