package io.udsink.collector.takeover;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.sys.NativeException;
import io.udsink.collector.sys.Sockets;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.transport.SocketSpec;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.FileDescriptorCast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The new instance's side of a takeover. See the package description for the exchange. */
public final class TakeoverClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TakeoverClient.class);
  private static final Duration OFFER_TIMEOUT = Duration.ofSeconds(10);

  /** Longest wait to connect, even to a listener whose backlog another user filled. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private final AFUNIXSocket socket;
  private final DataInputStream in;
  private final SocketSpec address;

  private TakeoverClient(AFUNIXSocket socket, SocketSpec address) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.address = address;
  }

  /**
   * Connects to the instance serving {@code first}, if one listens.
   *
   * @param first the first socket of the new instance
   * @return the connection, or null when no instance runs there
   */
  public static TakeoverClient connect(SocketSpec first) {
    SocketSpec address = ControlAddress.of(first);
    Path dir = address.path().getParent();
    if (!Files.exists(address.path(), LinkOption.NOFOLLOW_LINKS)) {
      LOG.debug("no instance listens at {}", address);
      return null;
    }
    try {
      // what to connect to must be in this user's private directory: checked as the server does
      ControlServer.privateDirectory(address, dir);
    } catch (IOException e) {
      throw new UdsinkException("takeover: control directory " + dir + ": " + e.getMessage(), e);
    }
    AFUNIXSocket s = null;
    try {
      int fd;
      try {
        // a deadline even when the listener's backlog is full: never a connect that hangs
        fd = Sockets.connectStream(address.path().toString(), CONNECT_TIMEOUT.toMillis());
      } catch (NativeException e) {
        if (e.isNotFound() || e.errno() == 111) { // ECONNREFUSED: left by an instance that died
          LOG.debug("no instance listens at {}: {}", address, e.toString());
          return null;
        }
        throw e;
      }
      s = FileDescriptorCast.unsafeUsing(fd).as(AFUNIXSocket.class);
      long owner = s.getPeerCredentials().getUid();
      long me = io.udsink.collector.transport.ProcessUser.uid();
      if (owner != me && owner != 0) {
        s.close();
        throw new UdsinkException(
            "takeover: the control socket "
                + address
                + " is served by "
                + "user "
                + owner
                + ", not by this user or root; refusing to take sockets from it");
      }
      s.setAncillaryReceiveBufferSize(4096);
      s.setSoTimeout((int) OFFER_TIMEOUT.toMillis());
      return new TakeoverClient(s, address);
    } catch (IOException e) {
      if (s != null) {
        try {
          s.close();
        } catch (IOException ignored) {
          // nothing more to do
        }
      }
      throw new UdsinkException(
          "takeover: cannot reach the running instance at " + address + ": " + e.getMessage(), e);
    }
  }

  /**
   * Asks for the sockets; the running instance checks the user, the command and the sockets.
   *
   * @param kind {@code serve} or {@code count}
   * @param specs the sockets, as given
   * @return the sockets, adopted (the caller puts them in its loop and then confirms)
   * @throws UdsinkException with the running instance's reason when it refuses
   */
  public List<BoundSocket> request(String kind, List<SocketSpec> specs) {
    try {
      Protocol.send(
          socket.getOutputStream(),
          d -> {
            d.writeUTF(Protocol.MAGIC);
            d.writeInt(Protocol.VERSION);
            d.writeUTF(kind);
            d.writeInt(specs.size());
            for (SocketSpec s : specs) {
              d.writeUTF(s.toString());
            }
          });
      String answer = in.readUTF();
      if (Protocol.REFUSED.equals(answer)) {
        throw new UdsinkException("takeover refused by the running instance: " + in.readUTF());
      }
      if (!Protocol.OFFER.equals(answer)) {
        throw new UdsinkException("takeover: unexpected answer " + answer);
      }
      int n = in.readInt();
      List<String> offered = new ArrayList<>();
      List<Boolean> inherited = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        offered.add(in.readUTF());
        inherited.add(in.readBoolean());
      }
      FileDescriptor[] fds = socket.getReceivedFileDescriptors();
      if (fds == null || fds.length != n) {
        throw new UdsinkException(
            "takeover: expected " + n + " descriptors, got " + (fds == null ? 0 : fds.length));
      }
      List<BoundSocket> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        // junixsocket closes received descriptors it still tracks when the control connection
        // closes, and its close shuts the socket down for every holder: keep a duplicate, and
        // close the received one with close(2) alone (which also stops the tracking)
        AFUNIXDatagramChannel ch =
            FileDescriptorCast.duplicating(fds[i]).as(AFUNIXDatagramChannel.class);
        new java.io.FileInputStream(fds[i]).close();
        out.add(BoundSocket.adopt(SocketSpec.parse(offered.get(i)), ch, inherited.get(i), null));
      }
      LOG.info("took {} socket(s) from the running instance", n);
      return out;
    } catch (EOFException e) {
      throw new UdsinkException("takeover: the running instance closed the connection", e);
    } catch (IOException e) {
      throw new UdsinkException("takeover: " + e.getMessage(), e);
    }
  }

  /** Tells the running instance that the sockets are in this instance's loop. */
  public void confirm() {
    try {
      Protocol.send(socket.getOutputStream(), d -> d.writeUTF(Protocol.READY));
    } catch (IOException e) {
      throw new UdsinkException("takeover: cannot confirm: " + e.getMessage(), e);
    }
  }

  /** Takes the state a previous instance hands over, as a stream. */
  public interface StateReader {
    /**
     * Reads the state; it may stop early. Whatever it throws is reported, never passed on: the
     * sockets are this instance's by now, and it goes on serving them without the state.
     *
     * @param state the state's bytes, and no more
     * @throws Exception when it cannot take it
     */
    void read(InputStream state) throws Exception;
  }

  /**
   * Waits for the running instance to finish: its final flush, then its state, which is
   * streamed to {@code reader} (never held whole: its size is bounded by what the reader keeps,
   * {@code --max-series}, not by the stream).
   *
   * @param timeout how long to wait
   * @param reader takes the state
   * @return true when the state was taken whole; false when the reader failed (reported)
   * @throws UdsinkException when the previous instance fails or goes away
   */
  public boolean awaitState(Duration timeout, StateReader reader) {
    try {
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
      String m = in.readUTF();
      if (Protocol.FAILED.equals(m)) {
        throw new UdsinkException(
            "takeover: the previous instance failed to hand over: " + in.readUTF());
      }
      if (!Protocol.STATE.equals(m)) {
        throw new UdsinkException("takeover: unexpected message " + m);
      }
      int len = in.readInt();
      if (len < 0) {
        throw new UdsinkException("takeover: bad state length " + len);
      }
      Bounded state = new Bounded(in, len);
      boolean taken = true;
      try {
        reader.read(state);
      } catch (Exception | OutOfMemoryError e) {
        taken = false;
        LOG.error(
            "takeover: the state handed over could not be taken ({}); serving without "
                + "it: counters continue from zero",
            e.toString());
      }
      state.skipRest();
      if (!Protocol.DONE.equals(in.readUTF())) {
        throw new UdsinkException("takeover: the previous instance did not finish");
      }
      return taken;
    } catch (IOException e) {
      throw new UdsinkException(
          "takeover: waiting for the previous instance at " + address + ": " + e.getMessage(), e);
    }
  }

  /** The next {@code left} bytes of a stream, and not one more. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    private long left;

    Bounded(InputStream in, long left) {
      this.in = in;
      this.left = left;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b < 0) {
        throw new EOFException("the state ended early");
      }
      left--;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int n) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int r = in.read(b, off, (int) Math.min(n, left));
      if (r < 0) {
        throw new EOFException("the state ended early");
      }
      left -= r;
      return r;
    }

    @Override
    public void close() {
      // the connection goes on: the DONE message follows
    }

    void skipRest() throws IOException {
      byte[] buf = new byte[8192];
      while (left > 0) {
        read(buf, 0, buf.length);
      }
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      LOG.debug("close failed", e);
    }
  }
}
