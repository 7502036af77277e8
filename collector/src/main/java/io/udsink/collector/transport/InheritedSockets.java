package io.udsink.collector.transport;

import io.udsink.collector.UdsinkException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * Sockets passed by systemd socket activation (or any parent that follows its protocol): when
 * {@code LISTEN_PID} is this process and {@code LISTEN_FDS} is n &gt; 0, descriptors 3 .. 3+n-1
 * are listening sockets, named by {@code LISTEN_FDNAMES} (colon-separated) where given.
 *
 * <p>Each must be an AF_UNIX SOCK_DGRAM socket bound to a path or an abstract name; anything else
 * is refused, naming the descriptor and what it is. They are read from {@code /proc}: the
 * descriptor's link says whether it is a socket, and {@code /proc/net/unix} gives an AF_UNIX
 * socket's type and bound address.
 *
 * <p>Java cannot change its own environment, so the three variables stay set; udsink starts no
 * child process that could inherit them.
 */
public final class InheritedSockets {
  /** The first descriptor systemd passes. */
  public static final int FIRST_FD = 3;

  private static final String SOCK_DGRAM = "0002";

  private InheritedSockets() {}

  /** One inherited socket. */
  public record Inherited(int fd, SocketSpec spec, String name) {}

  /**
   * Reads the environment.
   *
   * @param env the environment ({@code System.getenv()})
   * @param pid this process's id
   * @return the inherited sockets, or an empty list when none are passed to this process
   * @throws UdsinkException when a passed descriptor is not an AF_UNIX datagram socket
   */
  public static List<Inherited> fromEnvironment(Map<String, String> env, long pid) {
    String listenPid = env.get("LISTEN_PID");
    String listenFds = env.get("LISTEN_FDS");
    if (listenPid == null || listenFds == null) {
      return List.of();
    }
    if (!listenPid.trim().equals(Long.toString(pid))) {
      return List.of(); // meant for another process (a parent that did not clean up)
    }
    int n;
    try {
      n = Integer.parseInt(listenFds.trim());
    } catch (NumberFormatException e) {
      throw new UdsinkException("LISTEN_FDS=" + listenFds + " is not a number");
    }
    String[] names = env.getOrDefault("LISTEN_FDNAMES", "").split(":", -1);
    List<Inherited> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int fd = FIRST_FD + i;
      String name = i < names.length && !names[i].isEmpty() ? names[i] : null;
      out.add(new Inherited(fd, SocketSpec.parse(boundAddress(fd)), name));
    }
    return out;
  }

  /**
   * Makes a channel of an inherited descriptor.
   *
   * @param s the socket
   * @return it, adopted: never shut down or removed by udsink
   */
  public static BoundSocket adopt(Inherited s) {
    try {
      AFUNIXDatagramChannel ch =
          FileDescriptorCast.unsafeUsing(s.fd()).as(AFUNIXDatagramChannel.class);
      return BoundSocket.adopt(s.spec(), ch, true, s.name());
    } catch (IOException e) {
      throw new UdsinkException(
          "inherited fd " + s.fd() + " (" + s.spec() + "): cannot use it: " + e.getMessage(), e);
    }
  }

  /**
   * The address an AF_UNIX datagram socket at {@code fd} is bound to: a path, or {@code @name}.
   *
   * @throws UdsinkException naming the descriptor and what it is, when it is anything else
   */
  static String boundAddress(int fd) {
    String link;
    try {
      link = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
    } catch (NoSuchFileException e) {
      throw new UdsinkException(
          "inherited fd "
              + fd
              + " is not open (LISTEN_FDS counts more "
              + "descriptors than were passed)");
    } catch (IOException e) {
      throw new UdsinkException("inherited fd " + fd + ": cannot inspect it: " + e.getMessage(), e);
    }
    if (!link.startsWith("socket:[")) {
      throw new UdsinkException(
          "inherited fd "
              + fd
              + " is not a socket but "
              + describe(link)
              + "; udsink needs AF_UNIX datagram sockets (ListenDatagram=)");
    }
    String inode = link.substring("socket:[".length(), link.length() - 1);
    try {
      for (String line : Files.readAllLines(Path.of("/proc/net/unix"))) {
        String[] f = line.trim().split("\\s+", 8); // the path, last, may hold spaces
        if (f.length < 7 || !f[6].equals(inode)) {
          continue;
        }
        if (!f[4].equals(SOCK_DGRAM)) {
          throw new UdsinkException(
              "inherited fd "
                  + fd
                  + " is an AF_UNIX "
                  + ("0001".equals(f[4])
                      ? "stream"
                      : "0005".equals(f[4]) ? "seqpacket" : "type " + f[4])
                  + " socket; udsink needs datagram sockets (ListenDatagram=)");
        }
        if (f.length < 8) {
          throw new UdsinkException(
              "inherited fd "
                  + fd
                  + " is an AF_UNIX datagram socket that "
                  + "is not bound to any address");
        }
        return f[7];
      }
    } catch (IOException e) {
      throw new UdsinkException("cannot read /proc/net/unix: " + e.getMessage(), e);
    }
    throw new UdsinkException(
        "inherited fd "
            + fd
            + " is a socket but not an AF_UNIX one (a "
            + "network socket?); udsink needs AF_UNIX datagram sockets (ListenDatagram=)");
  }

  private static String describe(String link) {
    if (link.startsWith("pipe:")) {
      return "a pipe";
    }
    if (link.startsWith("anon_inode:")) {
      return "an anonymous inode (" + link.substring("anon_inode:".length()) + ")";
    }
    return "the file " + link;
  }
}
