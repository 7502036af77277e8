package io.udsink.collector.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import io.udsink.collector.UdsinkException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class BoundSocketTest {
  @TempDir Path dir;

  private static BoundSocket bind(Path p) {
    return BoundSocket.bind(SocketSpec.parse(p.toString()), 0660, false);
  }

  @Test
  void shouldRefuseAPathLongerThanSunPathNamingTheLimit() {
    String longPath = dir.resolve("x".repeat(120)).toString();
    UdsinkException e = assertThrows(UdsinkException.class, () -> SocketSpec.parse(longPath));
    assertTrue(e.getMessage().contains("107"), e.getMessage());
    // exactly 107 bytes is accepted by the parser
    String base = "/tmp/";
    SocketSpec.parse(base + "y".repeat(107 - base.length()));
  }

  @Test
  void shouldRefuseAMissingParentDirectoryUnlessAskedToCreateIt() throws Exception {
    Path p = dir.resolve("missing/s");
    UdsinkException e = assertThrows(UdsinkException.class, () -> bind(p));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    assertTrue(e.getMessage().contains("--mkdir"), e.getMessage());
    assertFalse(Files.exists(p.getParent()));

    try (BoundSocket s = BoundSocket.bind(SocketSpec.parse(p.toString()), 0660, true)) {
      assertTrue(Files.isDirectory(p.getParent()));
      assertEquals(
          "rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(p.getParent())));
      assertTrue(Files.exists(p, LinkOption.NOFOLLOW_LINKS));
    }
  }

  @Test
  void shouldRefuseARegularFileAndLeaveItUntouched() throws Exception {
    Path p = dir.resolve("f");
    Files.writeString(p, "precious");
    UdsinkException e = assertThrows(UdsinkException.class, () -> bind(p));
    assertTrue(e.getMessage().contains("regular file"), e.getMessage());
    assertEquals("precious", Files.readString(p));
  }

  @Test
  void shouldRefuseADirectoryAndASymlink() throws Exception {
    Path d = dir.resolve("d");
    Files.createDirectory(d);
    assertTrue(
        assertThrows(UdsinkException.class, () -> bind(d)).getMessage().contains("directory"));
    assertTrue(Files.isDirectory(d));

    Path target = dir.resolve("t");
    Files.writeString(target, "t");
    Path link = dir.resolve("l");
    Files.createSymbolicLink(link, target);
    assertTrue(
        assertThrows(UdsinkException.class, () -> bind(link))
            .getMessage()
            .contains("symbolic link"));
    assertTrue(Files.isSymbolicLink(link));
    assertEquals("t", Files.readString(target));
  }

  @Test
  void shouldTakeOverAStaleSocketFile() throws Exception {
    Path p = dir.resolve("stale");
    AFUNIXDatagramChannel crashed = AFUNIXDatagramChannel.open();
    crashed.bind(AFUNIXSocketAddress.of(p));
    crashed.close(); // a datagram socket leaves its file behind
    assertTrue(Files.exists(p, LinkOption.NOFOLLOW_LINKS));

    try (BoundSocket s = bind(p);
        AFUNIXDatagramChannel tx = TestSupport.connect(p)) {
      TestSupport.send(tx, "hello");
      assertEquals(5, TestSupport.receiveOne(s));
    }
  }

  @Test
  void shouldRefuseASocketALiveProcessIsBoundToAndLeaveItAlone() throws Exception {
    Path p = dir.resolve("live");
    try (AFUNIXDatagramChannel owner = AFUNIXDatagramChannel.open()) {
      owner.bind(AFUNIXSocketAddress.of(p));
      UdsinkException e = assertThrows(UdsinkException.class, () -> bind(p));
      assertTrue(e.getMessage().contains("already in use"), e.getMessage());
      // the owner still receives
      try (AFUNIXDatagramChannel tx = TestSupport.connect(p)) {
        TestSupport.send(tx, "still-mine");
      }
      ByteBuffer buf = ByteBuffer.allocate(32);
      owner.receive(buf);
      assertEquals(
          "still-mine", new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void shouldApplyTheSocketModeAndRemoveTheFileOnClose() throws Exception {
    Path p = dir.resolve("m");
    try (BoundSocket s = BoundSocket.bind(SocketSpec.parse(p.toString()), 0640, false)) {
      assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
    }
    assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void shouldNotRemoveASocketFileThatReplacedItsOwn() throws Exception {
    Path p = dir.resolve("r");
    BoundSocket s = bind(p);
    Files.delete(p);
    try (AFUNIXDatagramChannel other = AFUNIXDatagramChannel.open()) {
      other.bind(AFUNIXSocketAddress.of(p)); // another instance took the path
      s.close();
      assertTrue(Files.exists(p, LinkOption.NOFOLLOW_LINKS), "another instance's file was removed");
    }
  }

  @Test
  void shouldBindInTheAbstractNamespace() throws Exception {
    String name = "udsink-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    try (BoundSocket s = BoundSocket.bind(SocketSpec.parse("@" + name), 0660, false);
        AFUNIXDatagramChannel tx = AFUNIXDatagramChannel.open()) {
      assertTrue(s.spec().isAbstract());
      tx.connect(AFUNIXSocketAddress.inAbstractNamespace(name));
      TestSupport.send(tx, "abc");
      assertEquals(3, TestSupport.receiveOne(s));
      UdsinkException e =
          assertThrows(
              UdsinkException.class,
              () -> BoundSocket.bind(SocketSpec.parse("@" + name), 0660, false));
      assertTrue(e.getMessage().contains("already in use"), e.getMessage());
    }
  }

  @Test
  void shouldTellAnEmptyQueueFromAZeroLengthDatagram() throws Exception {
    Path p = dir.resolve("z");
    try (BoundSocket s = bind(p);
        AFUNIXDatagramChannel tx = TestSupport.connect(p)) {
      assertEquals(-1, TestSupport.receiveOne(s));
      TestSupport.sendEmpty(p);
      assertEquals(0, TestSupport.receiveOne(s));
      assertEquals(-1, TestSupport.receiveOne(s));
    }
  }
}
