package io.udsink.collector.sys;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * File operations that no one can redirect between a check and a use: every path is walked one
 * component at a time without following links, each call works on a descriptor or relative to a
 * directory descriptor, and what a file is is read from the open descriptor ({@code statx} with
 * {@code AT_EMPTY_PATH}).
 */
public final class Fs {
  private static final int STATX_BASIC_STATS = 0x7ff;
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
  private static final int S_IFLNK = 0120000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFIFO = 0010000;
  private static final int S_IFCHR = 0020000;
  private static final int F_GETFL = 3;
  private static final int F_SETFL = 4;

  private Fs() {}

  /** An open file descriptor, closed once. */
  public static final class Fd implements AutoCloseable {
    private final int fd;
    private boolean closed;

    Fd(int fd) {
      this.fd = fd;
    }

    /** The descriptor number. */
    public int number() {
      return fd;
    }

    /** Hands the descriptor over: this object no longer closes it. */
    synchronized int detach() throws IOException {
      if (closed) {
        throw new IOException("fd " + fd + " is closed");
      }
      closed = true;
      return fd;
    }

    @Override
    public synchronized void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      Native.call("close", (a, errno) -> (int) Libc.CLOSE.invokeExact(errno, fd));
    }

    @Override
    public String toString() {
      return "fd " + fd;
    }
  }

  /**
   * What an open file is, read from its descriptor.
   *
   * @param mode type and permission bits
   * @param uid owner
   * @param gid group
   * @param inode inode number
   * @param device device (major &lt;&lt; 32 | minor)
   */
  public record Stat(int mode, int uid, int gid, long inode, long device) {
    /** The permission bits (and set-id and sticky bits). */
    public int permissions() {
      return mode & 07777;
    }

    /** A regular file. */
    public boolean isRegularFile() {
      return (mode & S_IFMT) == S_IFREG;
    }

    /** A directory. */
    public boolean isDirectory() {
      return (mode & S_IFMT) == S_IFDIR;
    }

    /** A socket. */
    public boolean isSocket() {
      return (mode & S_IFMT) == S_IFSOCK;
    }

    /** A symbolic link (seen only through {@link #lstatAt}). */
    public boolean isSymlink() {
      return (mode & S_IFMT) == S_IFLNK;
    }

    /** A character device ({@code /dev/null}, a terminal). */
    public boolean isCharDevice() {
      return (mode & S_IFMT) == S_IFCHR;
    }

    /** A FIFO. */
    public boolean isFifo() {
      return (mode & S_IFMT) == S_IFIFO;
    }

    /**
     * The device as {@code stat(2)}'s {@code st_dev} gives it (glibc's {@code makedev}
     * encoding), as systemd writes it in {@code $JOURNAL_STREAM}.
     */
    public long deviceNumber() {
      long major = device >>> 32;
      long minor = device & 0xffffffffL;
      return ((major & 0xfffff000L) << 32)
          | ((major & 0xfffL) << 8)
          | ((minor & 0xffffff00L) << 12)
          | (minor & 0xffL);
    }

    /** What it is, for messages: "a directory", "a FIFO", ... */
    public String describe() {
      return switch (mode & S_IFMT) {
        case S_IFREG -> "a regular file";
        case S_IFDIR -> "a directory";
        case S_IFLNK -> "a symbolic link";
        case S_IFIFO -> "a FIFO";
        case S_IFCHR -> "a character device";
        case S_IFSOCK -> "a socket";
        case 0060000 -> "a block device";
        default -> "a special file";
      };
    }

    /** The same file as another stat's: device and inode. */
    public boolean sameFile(Stat o) {
      return o != null && inode == o.inode && device == o.device;
    }
  }

  /**
   * Opens a directory for {@code *at} calls, walking the absolute path one component at a time
   * from {@code /} without following a link anywhere.
   *
   * @param dir an absolute path
   * @return its descriptor
   * @throws NativeException ELOOP or ENOTDIR when a component is a link or not a directory
   * @throws IOException another failure
   */
  public static Fd openDirectory(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    Fd current = open(Native.AT_FDCWD, "/", Native.O_RDONLY | Native.O_DIRECTORY);
    try {
      for (Path part : abs) {
        Fd next = openDirectoryAt(current, part.toString());
        current.close();
        current = next;
      }
      return current;
    } catch (IOException | RuntimeException e) {
      current.close();
      throw e;
    }
  }

  /**
   * Opens the directory {@code name} in {@code dir}, not following a link.
   *
   * @throws NativeException ELOOP when it is a link, ENOTDIR when not a directory
   */
  public static Fd openDirectoryAt(Fd dir, String name) throws IOException {
    return open(dir.number(), checkName(name), Native.O_RDONLY | Native.O_DIRECTORY);
  }

  /**
   * Opens a file in {@code dir} to append to, not following a link and without blocking (a FIFO
   * with no reader fails with ENXIO instead of waiting); creates it with {@code createMode} when
   * it does not exist.
   *
   * @throws NativeException ELOOP when it is a link
   */
  public static Fd openAppend(Fd dir, String name, int createMode) throws IOException {
    return open(
        dir.number(),
        checkName(name),
        Native.O_WRONLY | Native.O_APPEND | Native.O_CREAT | Native.O_NONBLOCK,
        createMode);
  }

  /**
   * Opens a file in {@code dir} to read, not following a link and without blocking.
   *
   * @throws NativeException ELOOP when it is a link
   */
  public static Fd openRead(Fd dir, String name) throws IOException {
    return open(dir.number(), checkName(name), Native.O_RDONLY | Native.O_NONBLOCK);
  }

  private static Fd open(int dirfd, String name, int flags) throws IOException {
    return open(dirfd, name, flags, 0);
  }

  private static Fd open(int dirfd, String name, int flags, int mode) throws IOException {
    return new Fd(
        (int)
            Native.call(
                "open " + name,
                (a, errno) ->
                    (int)
                        Libc.OPENAT.invokeExact(
                            errno,
                            dirfd,
                            a.allocateFrom(name),
                            flags | Native.O_NOFOLLOW | Native.O_CLOEXEC,
                            mode)));
  }

  /**
   * A channel that writes to the open file and owns its descriptor from now on (closing the
   * channel closes it).
   *
   * @param fd an open file, which is detached
   * @return the channel
   */
  public static java.nio.channels.FileChannel channel(Fd fd) throws IOException {
    java.io.FileDescriptor d =
        org.newsclub.net.unix.FileDescriptorCast.unsafeUsing(fd.detach())
            .as(java.io.FileDescriptor.class);
    return new java.io.FileOutputStream(d).getChannel();
  }

  /** Clears {@code O_NONBLOCK} on the open file: its writes wait again (a FIFO's reader). */
  public static void setBlocking(Fd fd) throws IOException {
    int flags =
        (int)
            Native.call(
                "fcntl(F_GETFL)",
                (a, errno) -> (int) Libc.FCNTL.invokeExact(errno, fd.number(), F_GETFL, 0));
    Native.call(
        "fcntl(F_SETFL)",
        (a, errno) ->
            (int) Libc.FCNTL.invokeExact(errno, fd.number(), F_SETFL, flags & ~Native.O_NONBLOCK));
  }

  /**
   * Reads a whole file that must be a regular file of at most {@code maxBytes}: opened without
   * waiting (a FIFO never holds the caller), checked on the descriptor, and read no further than
   * the limit (a device such as {@code /dev/zero} is refused before a byte is read). A link at
   * the path is followed, as for any configuration file.
   *
   * @param path the file
   * @param maxBytes the most it may hold
   * @return its text, UTF-8
   * @throws IOException saying what is wrong
   */
  public static String readRegularFile(Path path, int maxBytes) throws IOException {
    Fd fd =
        new Fd(
            (int)
                Native.call(
                    "open " + path,
                    (a, errno) ->
                        (int)
                            Libc.OPENAT.invokeExact(
                                errno,
                                Native.AT_FDCWD,
                                a.allocateFrom(path.toString()),
                                Native.O_RDONLY | Native.O_NONBLOCK | Native.O_CLOEXEC,
                                0)));
    try {
      Stat st = stat(fd);
      if (!st.isRegularFile()) {
        throw new IOException(
            path
                + " is not a regular file"
                + (st.isFifo() ? " but a FIFO" : st.isDirectory() ? " but a directory" : ""));
      }
      java.io.FileDescriptor d =
          org.newsclub.net.unix.FileDescriptorCast.unsafeUsing(fd.detach())
              .as(java.io.FileDescriptor.class);
      try (java.io.FileInputStream in = new java.io.FileInputStream(d)) {
        byte[] b = in.readNBytes(maxBytes + 1);
        if (b.length > maxBytes) {
          throw new IOException(path + " is larger than " + maxBytes + " bytes");
        }
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
      }
    } finally {
      fd.close();
    }
  }

  /** What the open file is. */
  public static Stat stat(Fd fd) throws IOException {
    return statx(fd.number(), "", Native.AT_EMPTY_PATH);
  }

  /** What the path names, a link itself rather than what it points to. */
  public static Stat lstat(Path path) throws IOException {
    return statx(Native.AT_FDCWD, path.toString(), Native.AT_SYMLINK_NOFOLLOW);
  }

  /** As {@link #lstat}, or null when nothing is there. */
  public static Stat lstatIfAny(Path path) throws IOException {
    try {
      return lstat(path);
    } catch (NativeException e) {
      if (e.isNotFound()) {
        return null;
      }
      throw e;
    }
  }

  /** What the path names, following links. */
  public static Stat stat(Path path) throws IOException {
    return statx(Native.AT_FDCWD, path.toString(), 0);
  }

  /** What {@code name} in {@code dir} is, a link itself rather than what it points to. */
  public static Stat lstatAt(Fd dir, String name) throws IOException {
    return statx(dir.number(), checkName(name), Native.AT_SYMLINK_NOFOLLOW);
  }

  private static Stat statx(int dirfd, String name, int flags) throws IOException {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment errno = Native.errnoSegment(a);
      MemorySegment buf = a.allocate(256, 8);
      int r =
          (int)
              Libc.STATX.invokeExact(
                  errno, dirfd, a.allocateFrom(name), flags, STATX_BASIC_STATS, buf);
      if (r != 0) {
        throw Native.error("statx " + (name.isEmpty() ? "fd " + dirfd : name), Native.errno(errno));
      }
      int uid = buf.get(ValueLayout.JAVA_INT, 20);
      int gid = buf.get(ValueLayout.JAVA_INT, 24);
      int mode = Short.toUnsignedInt(buf.get(ValueLayout.JAVA_SHORT, 28));
      long ino = buf.get(ValueLayout.JAVA_LONG, 32);
      long dev =
          ((long) buf.get(ValueLayout.JAVA_INT, 136) << 32)
              | Integer.toUnsignedLong(buf.get(ValueLayout.JAVA_INT, 140));
      return new Stat(mode, uid, gid, ino, dev);
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw Native.rethrow(t);
    }
  }

  /** Creates directory {@code name} in {@code dir} with {@code mode} (less the umask). */
  public static void mkdirAt(Fd dir, String name, int mode) throws IOException {
    String n = checkName(name);
    Native.call(
        "mkdir " + name,
        (a, errno) -> (int) Libc.MKDIRAT.invokeExact(errno, dir.number(), a.allocateFrom(n), mode));
  }

  /** Sets the mode of the open file. */
  public static void chmod(Fd fd, int mode) throws IOException {
    Native.call("fchmod", (a, errno) -> (int) Libc.FCHMOD.invokeExact(errno, fd.number(), mode));
  }

  /** Sets the owner and group of the open file ({@code -1} leaves one as it is). */
  public static void chown(Fd fd, int uid, int gid) throws IOException {
    Native.call(
        "fchown", (a, errno) -> (int) Libc.FCHOWN.invokeExact(errno, fd.number(), uid, gid));
  }

  /** Removes {@code name} from {@code dir} (an empty directory when {@code directory}). */
  public static void unlinkAt(Fd dir, String name, boolean directory) throws IOException {
    String n = checkName(name);
    Native.call(
        "unlink " + name,
        (a, errno) ->
            (int)
                Libc.UNLINKAT.invokeExact(
                    errno, dir.number(), a.allocateFrom(n), directory ? Native.AT_REMOVEDIR : 0));
  }

  /** A single path component: no separator, not {@code .} or {@code ..}, no NUL. */
  private static String checkName(String name) {
    if (name.isEmpty()
        || name.equals(".")
        || name.equals("..")
        || name.indexOf('/') >= 0
        || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not a single file name: '" + name + "'");
    }
    return name;
  }
}
