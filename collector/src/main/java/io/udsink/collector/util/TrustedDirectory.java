package io.udsink.collector.util;

/**
 * The rule for a directory udsink creates or replaces files in (a socket, the JSON lines
 * output): no other user may be able to swap what is in it. It must belong to root or to
 * udsink's user, and no other user may write to it unless it is sticky (like {@code /tmp}, where
 * others cannot rename or delete our files). A directory writable by its group counts as
 * writable by others unless that group is udsink's own (whose members udsink trusts as itself).
 */
public final class TrustedDirectory {
  private static final int S_ISVTX = 01000;
  private static final int GROUP_WRITE = 0020;
  private static final int OTHER_WRITE = 0002;

  private TrustedDirectory() {}

  /** True when users other than udsink's (and root) may write to a directory of this mode. */
  public static boolean othersMayWrite(int mode, int group, int ownGid) {
    return (mode & OTHER_WRITE) != 0 || ((mode & GROUP_WRITE) != 0 && group != ownGid);
  }

  /**
   * What is wrong with a directory, or null when udsink may use it.
   *
   * @param what what it is for, to begin the message ({@code "socket /x"})
   * @param dir the directory's path, for the message
   * @param mode its mode
   * @param owner its owner
   * @param group its group
   * @param ownUid udsink's uid
   * @param ownGid udsink's gid
   * @return the problem, or null
   */
  public static String problem(
      String what, Object dir, int mode, int owner, int group, int ownUid, int ownGid) {
    if (owner != ownUid && owner != 0) {
      return what
          + ": directory "
          + dir
          + " belongs to user "
          + owner
          + ", who could replace "
          + "what udsink puts there; use a directory of your own or root's";
    }
    if (othersMayWrite(mode, group, ownGid) && (mode & S_ISVTX) == 0) {
      return what
          + ": directory "
          + dir
          + " is writable by other users (mode "
          + String.format("%04o", mode & 07777)
          + ") and not sticky: they could replace what "
          + "udsink puts there; use a private directory or set the sticky bit";
    }
    return null;
  }
}
