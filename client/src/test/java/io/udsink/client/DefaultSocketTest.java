package io.udsink.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefaultSocketTest {
  @TempDir
  Path dir;

  @Test
  void shouldPickAPlaceNoOtherUserCanTakeFirst() throws Exception {
    assertEquals("/run/udsink/udsink.sock", DefaultSocket.userDefault(0, "/whatever"));
    assertEquals("/tmp/udsink-1000/udsink.sock", DefaultSocket.userDefault(1000, null));
    int me = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    Path runtime = dir.resolve("runtime");
    Files.createDirectory(runtime,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    int user = me == 0 ? 1000 : me;
    String expectedOwn = me == 0 ? "/tmp/udsink-1000/udsink.sock"
        : runtime.resolve("udsink.sock").toString();
    // an XDG_RUNTIME_DIR is used only when it is the user's own private directory
    assertEquals(expectedOwn, DefaultSocket.userDefault(user, runtime.toString()));
    Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertEquals("/tmp/udsink-" + user + "/udsink.sock",
        DefaultSocket.userDefault(user, runtime.toString()));
  }
}
