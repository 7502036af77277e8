package io.udsink.collector.takeover;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import io.udsink.collector.transport.SocketSpec;

/**
 * Where an instance listens for a takeover: named after its first socket, next to it.
 *
 * <ul>
 *   <li>{@code /dir/name.sock} has {@code /dir/.udsink-ctl-<12 hex digits>/ctl}, the digits
 *       from a hash of the socket's path, in a directory of mode 0700 that belongs to the
 *       instance's user (so the name stays short enough for {@code sun_path}, and nobody else can
 *       reach it);</li>
 *   <li>{@code @name} has {@code @udsink-ctl-<12 hex digits>} in the abstract namespace.</li>
 * </ul>
 */
final class ControlAddress {
  private ControlAddress() {
  }

  static SocketSpec of(SocketSpec first) {
    String id = hash(first.isAbstract() ? first.toString()
        : first.path().toAbsolutePath().normalize().toString());
    if (first.isAbstract()) {
      return SocketSpec.parse("@udsink-ctl-" + id);
    }
    Path dir = first.path().toAbsolutePath().normalize().getParent();
    return SocketSpec.parse(dir.resolve(".udsink-ctl-" + id).resolve("ctl").toString());
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
