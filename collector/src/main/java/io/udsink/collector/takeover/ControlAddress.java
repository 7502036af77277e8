package io.udsink.collector.takeover;

import io.udsink.client.DefaultSocket;
import io.udsink.collector.transport.ProcessUser;
import io.udsink.collector.transport.SocketSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where an instance listens for a takeover: {@code <private directory>/ctl-<12 hex digits>},
 * the digits from a hash of its first socket (a path or an {@code @name}). The directory is the
 * user's own and nobody else's, so no other user can listen there first or reach it:
 *
 * <ul>
 *   <li>for root, {@value #ROOT_DIRECTORY} (in root's {@code /run/udsink});</li>
 *   <li>for another user, {@code udsink-control} in {@code $XDG_RUNTIME_DIR} when that directory
 *       is the user's and private, else in {@code /tmp/udsink-<uid>} (which must be the user's,
 *       mode 0700, as for the default socket).</li>
 * </ul>
 *
 * Never a shared directory and never the abstract namespace, where anyone may bind a name first.
 */
final class ControlAddress {
  /** Root's control directory. */
  static final String ROOT_DIRECTORY = "/run/udsink/control";

  private ControlAddress() {}

  static SocketSpec of(SocketSpec first) {
    String id =
        hash(
            first.isAbstract()
                ? first.toString()
                : first.path().toAbsolutePath().normalize().toString());
    return SocketSpec.parse(directory().resolve("ctl-" + id).toString());
  }

  /** This user's control directory. */
  static Path directory() {
    int uid = ProcessUser.uid();
    if (uid == 0) {
      return Path.of(ROOT_DIRECTORY);
    }
    // the per-user default socket's directory: $XDG_RUNTIME_DIR when private, else /tmp/udsink-uid
    return Path.of(DefaultSocket.userDefault()).getParent().resolve("udsink-control");
  }

  private static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
