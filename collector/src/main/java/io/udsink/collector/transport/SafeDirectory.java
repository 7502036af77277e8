package io.udsink.collector.transport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

import io.udsink.collector.UdsinkException;

/**
 * Refuses to bind where another user could redirect or take over the socket: a directory that
 * others may write to, unless it is sticky (like {@code /tmp}) and whatever is already at the
 * path belongs to udsink's user. In a sticky directory others cannot rename or delete our files,
 * so the private-directory bind in {@link BoundSocket} is safe there.
 */
final class SafeDirectory {
  private static final int S_ISVTX = 01000;
  private static final int GROUP_WRITE = 0020;
  private static final int OTHER_WRITE = 0002;

  private SafeDirectory() {
  }

  static void check(SocketSpec spec, Path dir, Path target) {
    int uid = ProcessUser.uid();
    Map<String, Object> a;
    try {
      a = Files.readAttributes(dir, "unix:mode,uid,gid");
    } catch (IOException e) {
      throw new UdsinkException("socket " + spec + ": cannot inspect directory " + dir + ": "
          + e.getMessage(), e);
    }
    int mode = (Integer) a.get("mode");
    int owner = (Integer) a.get("uid");
    int group = (Integer) a.get("gid");
    boolean sticky = (mode & S_ISVTX) != 0;
    boolean othersWrite = (mode & OTHER_WRITE) != 0
        || ((mode & GROUP_WRITE) != 0 && group != ProcessUser.gid());
    if (owner != uid && owner != 0) {
      throw new UdsinkException("socket " + spec + ": directory " + dir + " belongs to user "
          + owner + ", who could replace the socket; use a directory of your own or root's");
    }
    if (othersWrite && !sticky) {
      throw new UdsinkException("socket " + spec + ": directory " + dir + " is writable by "
          + "other users (mode " + String.format("%04o", mode & 07777) + ") and not sticky: "
          + "they could replace the socket; use a private directory or set the sticky bit");
    }
    if (othersWrite) {
      try {
        int targetOwner = (Integer) Files.getAttribute(target, "unix:uid",
            LinkOption.NOFOLLOW_LINKS);
        if (targetOwner != uid) {
          throw new UdsinkException("socket " + spec + ": " + target + " already exists and "
              + "belongs to user " + targetOwner + " in a directory others can write to; "
              + "refusing to use it");
        }
      } catch (NoSuchFileException e) {
        // nothing there yet: ours to create
      } catch (IOException e) {
        throw new UdsinkException("socket " + spec + ": cannot inspect " + target + ": "
            + e.getMessage(), e);
      }
    }
  }
}
