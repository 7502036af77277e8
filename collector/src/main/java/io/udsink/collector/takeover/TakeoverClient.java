package io.udsink.collector.takeover;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.sys.NativeException;
import io.udsink.collector.sys.Sockets;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.transport.SocketSpec;

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
        throw new UdsinkException("takeover: the control socket " + address + " is served by "
            + "user " + owner + ", not by this user or root; refusing to take sockets from it");
      }
      s.setAncillaryReceiveBufferSize(4096);
      s.setSoTimeout((int) OFFER_TIMEOUT.toMillis());
      return new TakeoverClient(s, address);
    } catch (IOException e) {
      String msg = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
      if (s != null) {
        try {
          s.close();
        } catch (IOException ignored) {
          // nothing more to do
        }
      }
      if (msg.contains("no such file") || msg.contains("refused")) {
        LOG.debug("no instance listens at {}: {}", address, e.toString());
        return null;
      }
      throw new UdsinkException("takeover: cannot reach the running instance at " + address
          + ": " + e.getMessage(), e);
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
      Protocol.send(socket.getOutputStream(), d -> {
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
        throw new UdsinkException("takeover: expected " + n + " descriptors, got "
            + (fds == null ? 0 : fds.length));
      }
      List<BoundSocket> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        // junixsocket closes received descriptors it still tracks when the control connection
        // closes, and its close shuts the socket down for every holder: keep a duplicate, and
        // close the received one with close(2) alone (which also stops the tracking)
        AFUNIXDatagramChannel ch = FileDescriptorCast.duplicating(fds[i])
            .as(AFUNIXDatagramChannel.class);
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

  /**
   * Waits for the running instance to finish: its final flush, then its state.
   *
   * @param timeout how long to wait
   * @return the state it hands over (empty for none)
   * @throws UdsinkException when it fails or goes away
   */
  public byte[] awaitState(Duration timeout) {
    try {
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
      String m = in.readUTF();
      if (Protocol.FAILED.equals(m)) {
        throw new UdsinkException("takeover: the previous instance failed to hand over: "
            + in.readUTF());
      }
      if (!Protocol.STATE.equals(m)) {
        throw new UdsinkException("takeover: unexpected message " + m);
      }
      int len = in.readInt();
      if (len < 0 || len > Protocol.MAX_STATE_BYTES) {
        throw new UdsinkException("takeover: bad state length " + len);
      }
      byte[] state = in.readNBytes(len);
      if (state.length != len || !Protocol.DONE.equals(in.readUTF())) {
        throw new UdsinkException("takeover: the previous instance did not finish");
      }
      return state;
    } catch (IOException e) {
      throw new UdsinkException("takeover: waiting for the previous instance at " + address
          + ": " + e.getMessage(), e);
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
