package io.udsink.collector.transport;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.sys.BatchReceiver;
import io.udsink.collector.sys.Fs;
import io.udsink.collector.sys.Sockets;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.ConnectionRefusedSocketException;
import org.newsclub.net.unix.FileDescriptorCast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One AF_UNIX SOCK_DGRAM socket that udsink bound, non-blocking, with the identity (device and
 * inode) of the socket file it created so that it removes that file and no other.
 *
 * <p>Binding checks the path itself before junixsocket sees it, because junixsocket's bind
 * deletes a regular file or a stale socket at the path without asking:
 * <ul>
 *   <li>a path longer than {@code sun_path} holds is refused ({@link SocketSpec#parse});</li>
 *   <li>every directory on the way is checked, walked without links ({@link SafeAncestors});
 *       a missing one is an error, or is created (mode 0755) when asked;</li>
 *   <li>anything at the path that is not a socket is refused and left untouched;</li>
 *   <li>a socket some process is bound to is refused as already in use;</li>
 *   <li>a socket file nobody is bound to (left by a crash) is taken over, and that is logged.</li>
 * </ul>
 */
public final class BoundSocket implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BoundSocket.class);
  private static final Set<PosixFilePermission> PARENT_MODE =
      PosixFilePermissions.fromString("rwxr-xr-x");

  private final SocketSpec spec;
  private final AFUNIXDatagramChannel channel;
  private final Fs.Stat fileId;
  private final FileDescriptor fd;
  private final int fdNumber;
  private final boolean inherited;
  private final String label;
  private boolean closed;

  private BoundSocket(
      SocketSpec spec,
      AFUNIXDatagramChannel channel,
      Fs.Stat fileId,
      boolean inherited,
      String label)
      throws IOException {
    this.spec = spec;
    this.channel = channel;
    this.fileId = fileId;
    this.fd = channel.getFileDescriptor();
    this.fdNumber = Sockets.fd(fd);
    this.inherited = inherited;
    this.label = label;
  }

  private BoundSocket(SocketSpec spec, AFUNIXDatagramChannel channel, Fs.Stat fileId)
      throws IOException {
    this(spec, channel, fileId, false, null);
  }

  /**
   * Takes a socket bound elsewhere: by systemd ({@code inherited}), or by an instance that handed
   * it over.
   *
   * @param spec where it is bound
   * @param channel its channel (made non-blocking here)
   * @param inherited true when it belongs to someone else (systemd's socket unit): it is then
   *     never shut down, and its file never removed
   * @param label a name for messages (systemd's {@code FileDescriptorName}), or null
   * @return the socket
   * @throws IOException when the channel cannot be made non-blocking
   */
  public static BoundSocket adopt(
      SocketSpec spec, AFUNIXDatagramChannel channel, boolean inherited, String label)
      throws IOException {
    channel.configureBlocking(false);
    // from now on datagrams carry their sender's credentials (those already queued do not)
    Sockets.passCredentials(Sockets.fd(channel.getFileDescriptor()));
    Fs.Stat id = null;
    if (!inherited && !spec.isAbstract()) {
      id = Fs.lstatIfAny(spec.path()); // null when its file is gone: nothing to remove later
    }
    return new BoundSocket(spec, channel, id, inherited, label);
  }

  /** True for a socket that belongs to someone else (systemd): never shut down or removed. */
  public boolean isInherited() {
    return inherited;
  }

  /** True when udsink removes the socket file at a normal stop (it bound it, or took it over). */
  public boolean ownsFile() {
    return fileId != null;
  }

  /** The descriptor, to hand to another process. */
  public FileDescriptor fileDescriptor() {
    return fd;
  }

  /**
   * Closes this process's descriptor and nothing else: the socket, its queue and its file stay
   * for whoever else holds it. (junixsocket's {@code close()} shuts the socket down first, which
   * would end it for every holder.) Idempotent.
   */
  public void release() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      new java.io.FileInputStream(fd).close(); // close(2) alone; marks fd invalid for junixsocket
    } catch (IOException e) {
      LOG.debug("socket {}: close failed: {}", spec, e.toString());
    }
  }

  /**
   * Binds a non-blocking datagram socket under the rules above.
   *
   * <p>The socket never exists at its path with any mode but its own, and no path operation can
   * be redirected: it is bound in a private directory (mode 0700) created next to the path, its
   * mode is set there, and it is then linked into place in one step ({@code link(2)}, which
   * fails rather than replace anything; a stale socket is replaced with {@code rename(2)}).
   *
   * @param spec where to bind
   * @param mode permission bits for the socket file (for example {@code 0660}); ignored for an
   *     abstract name
   * @param mkdir create a missing parent directory (mode 0755) instead of failing
   * @return the bound socket
   * @throws UdsinkException naming the path and the problem when the socket cannot be bound
   */
  public static BoundSocket bind(SocketSpec spec, int mode, boolean mkdir) {
    return bind(spec, mode, mkdir, null);
  }

  /**
   * As {@link #bind(SocketSpec, int, boolean)}, giving the socket file a group.
   *
   * @param spec where to bind
   * @param mode permission bits for the socket file
   * @param mkdir create a missing parent directory
   * @param group the file's group (set before the socket appears at its path), or null
   * @return the bound socket
   */
  public static BoundSocket bind(
      SocketSpec spec, int mode, boolean mkdir, java.nio.file.attribute.GroupPrincipal group) {
    if (spec.isAbstract()) {
      return bindAbstract(spec);
    }
    Path path = spec.path().toAbsolutePath();
    ensureParent(spec, path.getParent(), mkdir);
    SafeDirectory.check(spec, path.getParent(), path);
    // bound through the native layer; junixsocket's channel takes the descriptor only once the
    // socket file is in place: its start-up (its library, its classes) comes after the socket is
    // ready, and datagrams queue in the kernel meanwhile
    int[] fd = {-1};
    AFUNIXDatagramChannel[] opened = new AFUNIXDatagramChannel[1];
    try {
      PrivateBind.bind(
          spec,
          path,
          mode,
          BoundSocket::preparePath,
          staging -> {
            fd[0] = Sockets.bindDatagram(staging.toString());
            if (group != null) {
              Files.getFileAttributeView(
                      staging,
                      java.nio.file.attribute.PosixFileAttributeView.class,
                      LinkOption.NOFOLLOW_LINKS)
                  .setGroup(group);
            }
          });
      opened[0] = FileDescriptorCast.unsafeUsing(fd[0]).as(AFUNIXDatagramChannel.class);
      fd[0] = -1; // the channel's now
      opened[0].configureBlocking(false);
      return new BoundSocket(spec, opened[0], Fs.lstat(path));
    } catch (IOException e) {
      if (fd[0] >= 0) {
        Sockets.closeQuietly(fd[0]);
      }
      closeQuietly(opened[0]);
      String msg = e.getMessage() == null ? e.toString() : e.getMessage();
      throw new UdsinkException("socket " + spec + ": cannot bind: " + msg, e);
    } catch (RuntimeException e) {
      if (fd[0] >= 0) {
        Sockets.closeQuietly(fd[0]);
      }
      closeQuietly(opened[0]);
      throw e;
    }
  }

  private static BoundSocket bindAbstract(SocketSpec spec) {
    AFUNIXDatagramChannel ch = null;
    try {
      ch = AFUNIXDatagramChannel.open();
      Sockets.passCredentials(Sockets.fd(ch.getFileDescriptor()));
      ch.bind(AFUNIXSocketAddress.inAbstractNamespace(spec.abstractName()));
      ch.configureBlocking(false);
      return new BoundSocket(spec, ch, null);
    } catch (org.newsclub.net.unix.AddressAlreadyInUseSocketException e) {
      closeQuietly(ch);
      throw new UdsinkException("socket " + spec + ": abstract name already in use", e);
    } catch (IOException e) {
      closeQuietly(ch);
      throw new UdsinkException("socket " + spec + ": cannot bind: " + e.getMessage(), e);
    }
  }

  private static void ensureParent(SocketSpec spec, Path parent, boolean mkdir) {
    if (SafeAncestors.check(spec, parent, mkdir)) {
      LOG.info("created directory {} (mode 0755)", parent);
    }
  }

  /**
   * Looks at what is at the path.
   *
   * @return true for a stale socket (to be replaced), false for nothing
   * @throws UdsinkException for anything else
   */
  static boolean preparePath(SocketSpec spec, Path path) {
    Fs.Stat st;
    try {
      st = Fs.lstatIfAny(path);
    } catch (IOException e) {
      throw new UdsinkException("socket " + spec + ": cannot inspect path: " + e.getMessage(), e);
    }
    if (st == null) {
      return false;
    }
    if (!st.isSocket()) {
      throw new UdsinkException(
          "socket "
              + spec
              + ": the path exists and is "
              + st.describe()
              + ", not a socket; refusing to replace it");
    }
    return probeExistingSocket(spec, path);
  }

  /** Connects to an existing socket file: live means in use, refused means stale. */
  private static boolean probeExistingSocket(SocketSpec spec, Path path) {
    try (AFUNIXDatagramChannel probe = AFUNIXDatagramChannel.open()) {
      try {
        probe.connect(AFUNIXSocketAddress.of(path));
      } catch (ConnectionRefusedSocketException e) {
        return true;
      } catch (SocketException e) {
        if (Fs.lstatIfAny(path) == null) {
          return false; // removed since it was looked at (junixsocket's ENOENT has no type)
        }
        throw new UdsinkException(
            "socket "
                + spec
                + ": already in use by another process ("
                + e.getMessage()
                + "; not a datagram socket?)",
            e);
      }
      throw new UdsinkException(
          "socket "
              + spec
              + ": already in use by another process (to "
              + "replace a running udsink without losing anything, start the new one with "
              + "--takeover)");
    } catch (IOException e) {
      throw new UdsinkException(
          "socket " + spec + ": cannot probe existing socket: " + e.getMessage(), e);
    }
  }

  /**
   * Converts octal permission bits to the JDK's set.
   *
   * @param mode bits 0 to 0777
   * @return the permissions
   */
  public static Set<PosixFilePermission> modeToPermissions(int mode) {
    if (mode < 0 || mode > 0777) {
      throw new UdsinkException(
          "socket mode " + Integer.toOctalString(mode) + " is outside 0000..0777");
    }
    StringBuilder sb = new StringBuilder(9);
    String rwx = "rwx";
    for (int shift = 6; shift >= 0; shift -= 3) {
      int bits = (mode >> shift) & 7;
      for (int b = 0; b < 3; b++) {
        sb.append((bits & (4 >> b)) != 0 ? rwx.charAt(b) : '-');
      }
    }
    return PosixFilePermissions.fromString(sb.toString());
  }

  /** Where this socket is bound. */
  public SocketSpec spec() {
    return spec;
  }

  /** The channel, non-blocking. Only the receive loop's thread reads from it. */
  public AFUNIXDatagramChannel channel() {
    return channel;
  }

  /**
   * Receives what is queued, up to {@code max} datagrams, into the receiver's region, without
   * waiting (one {@code recvmmsg(2)}).
   *
   * @param receiver the loop's receiver
   * @param max most datagrams
   * @return datagrams received; fewer than {@code max} means the queue is empty
   * @throws IOException when the kernel reports an error
   */
  public int receive(BatchReceiver receiver, int max) throws IOException {
    return receiver.receive(fdNumber, max);
  }

  /**
   * Shuts the socket down for reading: later sends fail with EPIPE, the queue stays readable.
   *
   * @throws IOException when the kernel refuses
   */
  public void shutdownInput() throws IOException {
    Sockets.shutdownRead(fdNumber);
  }

  /**
   * Closes the channel and removes the socket file if it is still the one this socket created.
   * Idempotent.
   */
  @Override
  public void close() {
    if (inherited) {
      release();
      return;
    }
    if (closed) {
      return;
    }
    closed = true;
    closeQuietly(channel);
    removeFile();
  }

  private void removeFile() {
    if (fileId == null) {
      return;
    }
    Path path = spec.path();
    try {
      Fs.Stat now = Fs.lstatIfAny(path);
      if (now == null) {
        LOG.debug("socket {}: file already removed", spec);
        return;
      }
      if (!fileId.sameFile(now)) {
        LOG.warn("socket {}: the file was replaced by another one; leaving it", spec);
        return;
      }
      Files.delete(path);
    } catch (NoSuchFileException e) {
      LOG.debug("socket {}: file already removed", spec);
    } catch (IOException e) {
      LOG.warn("socket {}: cannot remove socket file: {}", spec, e.getMessage());
    }
  }

  private static void closeQuietly(AFUNIXDatagramChannel ch) {
    if (ch == null) {
      return;
    }
    try {
      ch.close();
    } catch (IOException e) {
      LOG.debug("close failed", e);
    }
  }

  @Override
  public String toString() {
    return label == null ? spec.toString() : spec + " (" + label + ")";
  }
}
