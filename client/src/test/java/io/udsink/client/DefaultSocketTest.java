package io.udsink.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefaultSocketTest {
  @TempDir Path dir;

  @Test
  void shouldPickAPlaceNoOtherUserCanTakeFirst() throws Exception {
    assertEquals("/run/udsink/udsink.sock", DefaultSocket.userDefault(0, "/whatever"));
    assertEquals("/tmp/udsink-1000/udsink.sock", DefaultSocket.userDefault(1000, null));
    int me = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    Path runtime = dir.resolve("runtime");
    Files.createDirectory(
        runtime,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    int user = me == 0 ? 1000 : me;
    String expectedOwn =
        me == 0 ? "/tmp/udsink-1000/udsink.sock" : runtime.resolve("udsink.sock").toString();
    // an XDG_RUNTIME_DIR is used only when it is the user's own private directory
    assertEquals(expectedOwn, DefaultSocket.userDefault(user, runtime.toString()));
    Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertEquals(
        "/tmp/udsink-" + user + "/udsink.sock",
        DefaultSocket.userDefault(user, runtime.toString()));
  }

  @Test
  void shouldNeverSendToADirectoryAnotherUserMadeFirst() throws Exception {
    int me = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    Path system = dir.resolve("system.sock");
    Path theirs = dir.resolve("udsink-" + me);
    Files.createDirectory(
        theirs, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.createFile(theirs.resolve("udsink.sock")); // something at the socket's path
    String own = theirs.resolve("udsink.sock").toString();
    assertEquals(own, DefaultSocket.forClient(me, own, system), "the user's own: used");
    // the same directory, but another user's (uid me + 1): never used, even with a socket
    assertEquals(system.toString(), DefaultSocket.forClient(me + 1, own, system));
    // the user's, but open to others
    Files.setPosixFilePermissions(theirs, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertEquals(system.toString(), DefaultSocket.forClient(me, own, system));
    // a link to a private directory of the user's is not the directory itself
    Files.setPosixFilePermissions(theirs, PosixFilePermissions.fromString("rwx------"));
    Path link = Files.createSymbolicLink(dir.resolve("link-" + me), theirs);
    assertEquals(
        system.toString(),
        DefaultSocket.forClient(me, link.resolve("udsink.sock").toString(), system));
    // not there yet: the collector will make it
    assertEquals(true, DefaultSocket.safeUserDirectory(dir.resolve("absent"), me));
  }
}
