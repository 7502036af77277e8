package io.udsink.collector.transport;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.util.TrustedDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Refuses to bind where another user could redirect or take over the socket: a directory that
 * others may write to, unless it is sticky (like {@code /tmp}) and whatever is already at the
 * path belongs to udsink's user. In a sticky directory others cannot rename or delete our files,
 * so the private-directory bind in {@link BoundSocket} is safe there.
 */
final class SafeDirectory {
  private SafeDirectory() {}

  static void check(SocketSpec spec, Path dir, Path target) {
    int uid = ProcessUser.uid();
    Map<String, Object> a;
    try {
      a = Files.readAttributes(dir, "unix:mode,uid,gid");
    } catch (IOException e) {
      throw new UdsinkException(
          "socket " + spec + ": cannot inspect directory " + dir + ": " + e.getMessage(), e);
    }
    int mode = (Integer) a.get("mode");
    int owner = (Integer) a.get("uid");
    int group = (Integer) a.get("gid");
    String problem =
        TrustedDirectory.problem("socket " + spec, dir, mode, owner, group, uid, ProcessUser.gid());
    if (problem != null) {
      throw new UdsinkException(problem);
    }
    boolean othersWrite = TrustedDirectory.othersMayWrite(mode, group, ProcessUser.gid());
    if (othersWrite) {
      try {
        int targetOwner =
            (Integer) Files.getAttribute(target, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (targetOwner != uid) {
          throw new UdsinkException(
              "socket "
                  + spec
                  + ": "
                  + target
                  + " already exists and "
                  + "belongs to user "
                  + targetOwner
                  + " in a directory others can write to; "
                  + "refusing to use it");
        }
      } catch (NoSuchFileException e) {
        // nothing there yet: ours to create
      } catch (IOException e) {
        throw new UdsinkException(
            "socket " + spec + ": cannot inspect " + target + ": " + e.getMessage(), e);
      }
    }
  }
}
