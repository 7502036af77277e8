package io.udsink.collector.transport;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.sys.Fs;
import io.udsink.collector.sys.NativeException;
import io.udsink.collector.util.TrustedDirectory;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Checks a socket's directory and every directory above it, walking from {@code /} one component
 * at a time without following a link: each must be a real directory that belongs to root or to
 * udsink's user and that no other user may write to unless it is sticky. Then no other user can
 * swap a component between this check and the bind. A missing directory is created, when asked,
 * with {@code mkdirat} in its checked parent, and its mode is set on its own descriptor.
 *
 * <p>A directory writable by udsink's own group is accepted: the members of that group are
 * trusted as udsink's user is (a service's group, such as {@code udsink}).
 */
public final class SafeAncestors {
  private static final int CREATED_MODE = 0755;

  private SafeAncestors() {}

  /**
   * Checks (and with {@code mkdir}, creates) {@code dir} and its ancestors.
   *
   * @param spec for messages
   * @param dir the socket's directory, absolute
   * @param mkdir create missing directories (mode 0755)
   * @return true when directories were created
   * @throws UdsinkException naming the component that is refused
   */
  static boolean check(SocketSpec spec, Path dir, boolean mkdir) {
    return check("socket " + spec, dir, mkdir, CREATED_MODE);
  }

  /**
   * Checks (and with {@code mkdir}, creates) a directory udsink keeps files in, and its
   * ancestors, by the same rule as a socket's.
   *
   * @param what what it is for, to begin messages ({@code "--state-dir /var/lib/udsink"})
   * @param dir the directory
   * @param mkdir create missing directories
   * @param createdMode the mode of a directory created
   * @return true when directories were created
   * @throws UdsinkException naming the component that is refused
   */
  public static boolean check(String what, Path dir, boolean mkdir, int createdMode) {
    Path abs = dir.toAbsolutePath().normalize();
    boolean created = false;
    Path walked = Path.of("/");
    try {
      Fs.Fd current = Fs.openDirectory(walked);
      try {
        checkOne(what, walked, current);
        for (Path part : abs) {
          String name = part.toString();
          walked = walked.resolve(name);
          Fs.Fd next;
          try {
            next = Fs.openDirectoryAt(current, name);
          } catch (NativeException e) {
            if (!e.isNotFound()) {
              // O_DIRECTORY | O_NOFOLLOW on a link fails with ENOTDIR or ELOOP: say which it is
              boolean link = Fs.lstatAt(current, name).isSymlink();
              throw new UdsinkException(
                  what
                      + ": "
                      + walked
                      + (link
                          ? " is a symbolic link; the path may not go through one"
                          : " is not a directory"),
                  e);
            }
            if (!mkdir) {
              throw new UdsinkException(
                  what + ": directory " + walked + " does not exist (create it, or pass --mkdir)");
            }
            Fs.mkdirAt(current, name, 0700); // private until its mode is set on it
            next = Fs.openDirectoryAt(current, name);
            Fs.chmod(next, createdMode);
            created = true;
          }
          current.close();
          current = next;
          checkOne(what, walked, current);
        }
      } finally {
        current.close();
      }
    } catch (NativeException e) {
      if (e.isSymlink()) {
        throw new UdsinkException(
            what + ": " + walked + " is a symbolic link; " + "the path may not go through one", e);
      }
      if (e.errno() == 20) {
        throw new UdsinkException(what + ": " + walked + " is not a directory", e);
      }
      throw new UdsinkException(what + ": cannot walk to " + walked + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UdsinkException(what + ": cannot walk to " + walked + ": " + e.getMessage(), e);
    }
    return created;
  }

  private static void checkOne(String what, Path walked, Fs.Fd fd) throws IOException {
    Fs.Stat st = Fs.stat(fd);
    String problem =
        TrustedDirectory.problem(
            what, walked, st.mode(), st.uid(), st.gid(), ProcessUser.uid(), ProcessUser.gid());
    if (problem != null) {
      throw new UdsinkException(problem);
    }
  }
}
