package io.udsink.collector.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.udsink.collector.UdsinkException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a local user who can write next to the socket can do to a bind: nothing. Attacks run as
 * user nobody (through setpriv) where the tests run as root; elsewhere they are skipped.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BindSafetyTest {
  private static final int NOBODY = 65534;

  @TempDir Path dir;
  private Path shared;
  private Process attacker;

  /** A directory like /tmp: world-writable and sticky, traversable by everyone. */
  private Path sharedDirectory() throws IOException {
    shared = Files.createTempDirectory(Path.of("/tmp"), "bs");
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    chmod(shared, "1777");
    return shared;
  }

  private static void chmod(Path p, String mode) throws IOException {
    try {
      assertEquals(0, new ProcessBuilder("chmod", mode, p.toString()).start().waitFor());
    } catch (InterruptedException e) {
      throw new IOException(e);
    }
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (attacker != null) {
      attacker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (shared != null) {
      new ProcessBuilder("rm", "-rf", shared.toString()).start().waitFor();
    }
  }

  private static BoundSocket bind(Path p, int mode) {
    return BoundSocket.bind(SocketSpec.parse(p.toString()), mode, false);
  }

  private static void assumeRootWithSetpriv() {
    assumeTrue(ProcessUser.uid() == 0, "needs root to run an attacker as another user");
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/setpriv"))
            && Files.isExecutable(Path.of("/usr/bin/python3")),
        "needs setpriv and python3");
  }

  /** Starts a Python loop as user nobody; it writes its count of successes to {@code result}. */
  private Process runAsNobody(String script, Path result) throws IOException {
    Path file = shared.resolve("attack.py");
    Files.writeString(file, script);
    chmod(file, "0644");
    return new ProcessBuilder(
            "/usr/bin/setpriv",
            "--reuid=" + NOBODY,
            "--regid=" + NOBODY,
            "--clear-groups",
            "/usr/bin/python3",
            file.toString(),
            result.toString())
        .redirectErrorStream(true)
        .redirectOutput(shared.resolve("attack.log").toFile())
        .start();
  }

  private void awaitReady(Path result) {
    io.udsink.collector.TestSupport.await(
        "the attacker to start",
        java.time.Duration.ofSeconds(30),
        () -> Files.exists(Path.of(result + ".ready")));
  }

  @Test
  void shouldRefuseADirectoryOthersCanWriteThatIsNotSticky() throws Exception {
    Path open = dir.resolve("open");
    Files.createDirectory(open);
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    UdsinkException e = assertThrows(UdsinkException.class, () -> bind(open.resolve("s"), 0600));
    assertTrue(
        e.getMessage().contains("writable by other users") && e.getMessage().contains("not sticky"),
        e.getMessage());
    assertTrue(!Files.exists(open.resolve("s"), LinkOption.NOFOLLOW_LINKS));
    chmod(open, "1777"); // sticky: like /tmp, accepted
    bind(open.resolve("s"), 0600).close();
  }

  @Test
  void shouldRefuseAPathThroughAnAncestorAnotherUserControls() throws Exception {
    assumeTrue(ProcessUser.uid() == 0, "needs root to create directories of another user");
    // nobody owns /.../evil and put a link run -> a root-only directory in it
    Path rootOnly = Files.createDirectory(dir.resolve("root-only"));
    Files.setPosixFilePermissions(rootOnly, PosixFilePermissions.fromString("rwx------"));
    Path evil = Files.createDirectory(dir.resolve("evil"));
    Files.createSymbolicLink(evil.resolve("run"), rootOnly);
    Files.setAttribute(evil, "unix:uid", NOBODY);
    UdsinkException e =
        assertThrows(
            UdsinkException.class, () -> bind(evil.resolve("run").resolve("m.sock"), 0600));
    assertTrue(e.getMessage().contains("belongs to user " + NOBODY), e.getMessage());
    assertEquals(0, Files.list(rootOnly).count(), "nothing bound in the root-only directory");
    // the link alone, in a directory of root's, is refused too: the walk follows no link
    Path mine = Files.createDirectory(dir.resolve("mine"));
    Files.createSymbolicLink(mine.resolve("run"), rootOnly);
    e =
        assertThrows(
            UdsinkException.class,
            () ->
                BoundSocket.bind(
                    SocketSpec.parse(mine.resolve("run").resolve("m.sock").toString()),
                    0600,
                    true));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    assertEquals(0, Files.list(rootOnly).count());
    // an ancestor others may write, not sticky, anywhere above
    Path open = Files.createDirectory(dir.resolve("open"));
    chmod(open, "0777");
    Path deep = Files.createDirectories(open.resolve("a").resolve("b"));
    e = assertThrows(UdsinkException.class, () -> bind(deep.resolve("m.sock"), 0600));
    assertTrue(e.getMessage().contains(open + " is writable by other users"), e.getMessage());
  }

  @Test
  void shouldCreateMissingDirectoriesWithTheirModeSetOnThemselves() throws Exception {
    Path p = dir.resolve("x").resolve("y").resolve("m.sock");
    try (BoundSocket s = BoundSocket.bind(SocketSpec.parse(p.toString()), 0600, true)) {
      for (Path d : new Path[] {dir.resolve("x"), dir.resolve("x").resolve("y")}) {
        assertEquals(
            "rwxr-xr-x",
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(d, LinkOption.NOFOLLOW_LINKS)),
            d.toString());
      }
      assertTrue(Files.exists(p, LinkOption.NOFOLLOW_LINKS));
    }
  }

  @Test
  void shouldRefuseAnotherUsersFileInAStickyDirectoryAndAnotherUsersDirectory() throws Exception {
    assumeTrue(ProcessUser.uid() == 0, "needs root to create files of another user");
    Path sticky = dir.resolve("sticky");
    Files.createDirectory(sticky);
    chmod(sticky, "1777");
    Path theirs = sticky.resolve("s");
    Files.createFile(theirs);
    Files.setAttribute(theirs, "unix:uid", NOBODY);
    UdsinkException e = assertThrows(UdsinkException.class, () -> bind(theirs, 0600));
    assertTrue(e.getMessage().contains("belongs to user " + NOBODY), e.getMessage());

    Path owned = dir.resolve("owned");
    Files.createDirectory(owned);
    Files.setAttribute(owned, "unix:uid", NOBODY);
    e = assertThrows(UdsinkException.class, () -> bind(owned.resolve("s"), 0600));
    assertTrue(e.getMessage().contains("belongs to user " + NOBODY), e.getMessage());
  }

  @Test
  void shouldNeverLetAnotherUserConnectToASocketOfMode0600() throws Exception {
    assumeRootWithSetpriv();
    Path d = sharedDirectory();
    Path target = d.resolve("m.sock");
    Path result = d.resolve("connects");
    attacker =
        runAsNobody(
            String.join(
                "\n",
                "import socket, sys, os, time",
                "path = '" + target + "'",
                "wins = 0",
                "tries = 0",
                "open(sys.argv[1] + '.ready', 'w').close()",
                "end = time.time() + 60",
                "while time.time() < end and not os.path.exists(sys.argv[1] + '.stop'):",
                "    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
                "    tries += 1",
                "    try:",
                "        s.connect(path)",
                "        s.send(b'x:1|c')",
                "        wins += 1",
                "    except OSError:",
                "        pass",
                "    s.close()",
                "open(sys.argv[1], 'w').write('%d %d' % (wins, tries))",
                ""),
            result);
    awaitReady(result);
    for (int i = 0; i < 300; i++) {
      try (BoundSocket s = bind(target, 0600)) {
        assertEquals(
            "rw-------",
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(target, LinkOption.NOFOLLOW_LINKS)));
      }
    }
    Files.writeString(Path.of(result + ".stop"), "");
    assertTrue(attacker.waitFor(30, TimeUnit.SECONDS));
    String[] counts = Files.readString(result).split(" ");
    assertTrue(Integer.parseInt(counts[1]) > 100, "the attacker kept trying: " + counts[1]);
    assertEquals("0", counts[0], "connects by user nobody to a 0600 socket");
  }

  @Test
  void shouldNotBeRedirectedByASymlinkPutWhereTheSocketGoes() throws Exception {
    assumeRootWithSetpriv();
    Path d = sharedDirectory();
    Path victim = dir.resolve("victim"); // a root-owned 0600 file nobody may touch
    Files.writeString(victim, "secret");
    Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-------"));
    Path target = d.resolve("m.sock");
    Path result = d.resolve("links");
    attacker =
        runAsNobody(
            String.join(
                "\n",
                "import os, sys, time",
                "path = '" + target + "'",
                "made = 0",
                "open(sys.argv[1] + '.ready', 'w').close()",
                "end = time.time() + 60",
                "while time.time() < end and not os.path.exists(sys.argv[1] + '.stop'):",
                "    try:",
                "        os.symlink('" + victim + "', path)",
                "        made += 1",
                "    except OSError:",
                "        pass",
                "    try:",
                "        os.unlink(path)",
                "    except OSError:",
                "        pass",
                "open(sys.argv[1], 'w').write(str(made))",
                ""),
            result);
    awaitReady(result);
    int bound = 0;
    int refused = 0;
    for (int i = 0; i < 40; i++) {
      try (BoundSocket s = bind(target, 0660)) {
        bound++;
      } catch (UdsinkException e) {
        refused++;
        assertTrue(
            e.getMessage().contains("symbolic link")
                || e.getMessage().contains("belongs to user " + NOBODY)
                || e.getMessage().contains("taken while binding"),
            e.getMessage());
      }
    }
    Files.writeString(Path.of(result + ".stop"), "");
    assertTrue(attacker.waitFor(30, TimeUnit.SECONDS));
    assertTrue(Integer.parseInt(Files.readString(result)) > 0, "the attacker made symlinks");
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)),
        "bound " + bound + ", refused " + refused);
    assertEquals(0, (Integer) Files.getAttribute(victim, "unix:uid"));
    assertEquals(List.of("secret"), Files.readAllLines(victim, StandardCharsets.UTF_8));
  }
}
