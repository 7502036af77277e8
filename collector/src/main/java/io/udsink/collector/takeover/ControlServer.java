package io.udsink.collector.takeover;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.sys.Fs;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.transport.ProcessUser;
import io.udsink.collector.transport.SocketSpec;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running instance's side of a takeover: a stream socket of mode 0600 next to its first
 * socket, served by one thread, which hands the sockets to a new instance of the same user (or
 * root) that asks for exactly these sockets. See the package description for the exchange.
 */
public final class ControlServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

  /** Refusals of other users' connections: at most one line per 10 s, with a count. */
  private final io.udsink.collector.util.RateLimitedLog refusals =
      new io.udsink.collector.util.RateLimitedLog(
          LOG, java.util.concurrent.TimeUnit.SECONDS.toNanos(10));

  /** What the running instance does for a takeover. */
  public interface Handover {
    /** {@code serve} or {@code count}: only the same command may take over. */
    String kind();

    /** The sockets, in the order they were given. */
    List<BoundSocket> sockets();

    /**
     * Stops reading the sockets (neither shutting them down nor removing them), makes the final
     * flush, and returns the state the new instance continues from (empty for none). Called on
     * the control thread once the new instance has confirmed.
     *
     * @return the state
     * @throws Exception when the handover cannot complete
     */
    byte[] release() throws Exception;
  }

  private final SocketSpec address;
  private final AFUNIXServerSocket server;
  private final Handover handover;
  private final long confirmTimeoutMs;
  private final Thread thread;
  private final CountDownLatch finished = new CountDownLatch(1);
  private final Fs.Stat fileId;
  private volatile boolean handingOver;
  private volatile boolean closed;

  private ControlServer(
      SocketSpec address,
      AFUNIXServerSocket server,
      Fs.Stat fileId,
      Handover handover,
      Duration confirmTimeout) {
    this.address = address;
    this.server = server;
    this.fileId = fileId;
    this.handover = handover;
    this.confirmTimeoutMs = confirmTimeout.toMillis();
    this.thread = new Thread(this::run, "udsink-control");
    this.thread.setDaemon(true);
  }

  /**
   * Listens for takeovers of this instance. A failure to listen is logged, not fatal: the
   * instance then serves as usual and cannot be taken over.
   *
   * @param handover what this instance does when taken over
   * @param confirmTimeout how long a new instance may take to confirm
   * @return the server, or null when it cannot listen
   */
  public static ControlServer start(Handover handover, Duration confirmTimeout) {
    SocketSpec first = handover.sockets().get(0).spec();
    SocketSpec address;
    try {
      address = ControlAddress.of(first);
    } catch (UdsinkException e) {
      LOG.warn("this instance cannot be taken over ({})", e.getMessage());
      return null;
    }
    AFUNIXServerSocket[] opened = new AFUNIXServerSocket[1];
    try {
      Path path = address.path();
      privateDirectory(address, path.getParent());
      if (probe(address, path)) {
        Files.delete(path);
      }
      opened[0] = AFUNIXServerSocket.newInstance();
      opened[0].setDeleteOnClose(false);
      opened[0].bind(AFUNIXSocketAddress.of(path));
      Fs.Stat id = Fs.lstat(path);
      ControlServer s = new ControlServer(address, opened[0], id, handover, confirmTimeout);
      s.thread.start();
      LOG.debug("takeover control socket at {}", address);
      return s;
    } catch (IOException | UdsinkException e) {
      if (opened[0] != null) {
        try {
          opened[0].close();
        } catch (IOException ignored) {
          // nothing more to do
        }
      }
      LOG.warn(
          "this instance cannot be taken over: control socket {}: {}", address, e.getMessage());
      return null;
    }
  }

  /** The control socket's address. */
  public SocketSpec address() {
    return address;
  }

  /** True once a new instance confirmed and this instance is handing its sockets over. */
  public boolean handingOver() {
    return handingOver;
  }

  /**
   * Waits until a confirmed handover has sent everything to the new instance.
   *
   * @param timeout how long
   * @return true when done
   */
  public boolean awaitFinished(Duration timeout) throws InterruptedException {
    return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void run() {
    while (!closed) {
      AFUNIXSocket c;
      try {
        c = server.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("takeover control socket {} failed: {}", address, e.toString());
        }
        return;
      }
      try (c) {
        if (handle(c)) {
          return;
        }
      } catch (IOException e) {
        LOG.warn("takeover aborted: {}", e.toString());
      }
    }
  }

  /** One connection; true when this instance handed its sockets over. */
  private boolean handle(AFUNIXSocket c) throws IOException {
    c.setSoTimeout((int) Math.min(Integer.MAX_VALUE, confirmTimeoutMs));
    AFUNIXSocketCredentials peer = c.getPeerCredentials();
    long me = ProcessUser.uid();
    if (peer.getUid() != me && peer.getUid() != 0) {
      refusals.warn(
          "refused",
          "takeover refused: process "
              + peer.getPid()
              + " of user "
              + peer.getUid()
              + " is not user "
              + me
              + " or root");
      refuse(
          c,
          "not permitted: user "
              + peer.getUid()
              + " may not take over an instance of "
              + "user "
              + me);
      return false;
    }
    DataInputStream in = new DataInputStream(c.getInputStream());
    String kind;
    List<String> asked;
    try {
      if (!Protocol.MAGIC.equals(in.readUTF()) || in.readInt() != Protocol.VERSION) {
        refuse(c, "unknown takeover protocol");
        return false;
      }
      kind = in.readUTF();
      asked = Protocol.readSpecs(in);
    } catch (EOFException | SocketTimeoutException e) {
      LOG.warn("takeover by process {} gave up before asking", peer.getPid());
      return false;
    }
    List<String> mine = new ArrayList<>();
    for (BoundSocket s : handover.sockets()) {
      mine.add(s.spec().toString());
    }
    if (!kind.equals(handover.kind())) {
      refuse(c, "this instance runs udsink " + handover.kind() + ", not " + kind);
      return false;
    }
    if (!new java.util.HashSet<>(asked).equals(new java.util.HashSet<>(mine))) {
      refuse(
          c,
          "the sockets differ: this instance serves " + mine + "; the new one asks for " + asked);
      return false;
    }
    List<BoundSocket> sockets = new ArrayList<>();
    FileDescriptor[] fds = new FileDescriptor[asked.size()];
    for (int i = 0; i < asked.size(); i++) {
      BoundSocket s = handover.sockets().get(mine.indexOf(asked.get(i)));
      sockets.add(s);
      fds[i] = s.fileDescriptor();
    }
    c.setOutboundFileDescriptors(fds);
    Protocol.send(
        c.getOutputStream(),
        d -> {
          d.writeUTF(Protocol.OFFER);
          d.writeInt(sockets.size());
          for (BoundSocket s : sockets) {
            d.writeUTF(s.spec().toString());
            d.writeBoolean(s.isInherited());
          }
        });
    LOG.info(
        "offered {} socket(s) to process {} taking over; waiting for it to confirm",
        sockets.size(),
        peer.getPid());
    String reply;
    try {
      reply = in.readUTF();
    } catch (EOFException | SocketException e) {
      LOG.warn(
          "the process {} taking over went away before it confirmed; going on serving",
          peer.getPid());
      return false;
    } catch (SocketTimeoutException e) {
      LOG.warn(
          "the process {} taking over did not confirm within {} ms; going on serving",
          peer.getPid(),
          confirmTimeoutMs);
      return false;
    }
    if (!Protocol.READY.equals(reply)) {
      LOG.warn("the process {} taking over said {}; going on serving", peer.getPid(), reply);
      return false;
    }
    handingOver = true;
    LOG.info("process {} has the sockets in its loop: handing over", peer.getPid());
    closeServer();
    try {
      byte[] state = handover.release();
      Protocol.send(
          c.getOutputStream(),
          d -> {
            d.writeUTF(Protocol.STATE);
            d.writeInt(state.length);
            d.write(state);
            d.writeUTF(Protocol.DONE);
          });
    } catch (Exception e) {
      LOG.error("handover failed after the new instance took the sockets", e);
      Protocol.send(
          c.getOutputStream(),
          d -> {
            d.writeUTF(Protocol.FAILED);
            d.writeUTF(String.valueOf(e.getMessage()));
          });
    } finally {
      finished.countDown();
    }
    return true;
  }

  private static void refuse(AFUNIXSocket c, String reason) throws IOException {
    Protocol.send(
        c.getOutputStream(),
        d -> {
          d.writeUTF(Protocol.REFUSED);
          d.writeUTF(reason);
        });
  }

  private void closeServer() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.debug("close failed", e);
    }
    // the control directory stays: other instances of this user keep theirs in it
    try {
      if (fileId != null && fileId.sameFile(Fs.lstatIfAny(address.path()))) {
        Files.delete(address.path());
      }
    } catch (NoSuchFileException e) {
      // already gone
    } catch (IOException e) {
      LOG.debug("cannot remove {}: {}", address, e.toString());
    }
  }

  /** Stops listening and removes the control socket. Idempotent. */
  @Override
  public void close() {
    closeServer();
    thread.interrupt();
  }

  /**
   * The control socket's directory: created with mode 0700 in a parent that is itself checked
   * (root's {@code /run/udsink}, or the user's private per-user directory), or an existing one
   * that belongs to this user and nobody else can enter. Nothing here follows a link.
   */
  static void privateDirectory(SocketSpec spec, Path dir) throws IOException {
    Path parent = dir.getParent();
    int uid = ProcessUser.uid();
    if (uid == 0) {
      if (!Files.exists(parent, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(parent);
        Files.setPosixFilePermissions(
            parent, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      Fs.Stat p = Fs.lstat(parent);
      if (!p.isDirectory() || p.uid() != 0 || (p.permissions() & 0022) != 0) {
        throw new UdsinkException(
            "control socket "
                + spec
                + ": "
                + parent
                + " is not a "
                + "directory of root's that only root may write");
      }
    } else {
      if (!io.udsink.client.DefaultSocket.safeUserDirectory(parent, uid)) {
        throw new UdsinkException(
            "control socket "
                + spec
                + ": "
                + parent
                + " is not a "
                + "private directory of this user's (mode 0700, not a link)");
      }
      if (!Files.exists(parent, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(
            parent,
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
      }
    }
    try {
      Files.createDirectory(
          dir,
          java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
              java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
      return;
    } catch (java.nio.file.FileAlreadyExistsException e) {
      // left by an instance that died, or in use: check it below
    }
    Fs.Stat a = Fs.lstat(dir);
    if (!a.isDirectory() || a.uid() != uid || (a.permissions() & 0077) != 0) {
      throw new UdsinkException(
          "control socket " + spec + ": " + dir + " is not a private " + "directory of this user");
    }
  }

  /** A stream control socket at the path: stale (nobody accepts) or nothing; else refused. */
  private static boolean probe(SocketSpec spec, Path path) {
    Fs.Stat a;
    try {
      a = Fs.lstatIfAny(path);
    } catch (IOException e) {
      throw new UdsinkException("control socket " + spec + ": " + e.getMessage(), e);
    }
    if (a == null) {
      return false;
    }
    if (!a.isSocket()) {
      throw new UdsinkException(
          "control socket "
              + spec
              + ": the path exists and is not a "
              + "socket; refusing to replace it");
    }
    try (AFUNIXSocket probe = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(path))) {
      throw new UdsinkException("control socket " + spec + ": another instance listens there");
    } catch (IOException e) {
      return true; // refused: left by an instance that died
    }
  }
}
