package io.udsink.collector.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Descriptor-based file operations: links are never followed, FIFOs never block. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FsTest {
  @TempDir Path dir;

  @Test
  void shouldCreateAppendAndDescribeAFileThroughItsDirectory() throws Exception {
    try (Fs.Fd d = Fs.openDirectory(dir)) {
      assertTrue(Fs.stat(d).isDirectory());
      try (Fs.Fd f = Fs.openAppend(d, "out.jsonl", 0640)) {
        Fs.Stat st = Fs.stat(f);
        assertTrue(st.isRegularFile());
        assertEquals(0, st.permissions() & ~0640, "no more than the mode asked (less the umask)");
        assertEquals(0600, st.permissions() & 0600);
        Fs.chmod(f, 0600);
        assertEquals(0600, Fs.stat(f).permissions());
        assertTrue(st.sameFile(Fs.lstatAt(d, "out.jsonl")));
      }
      Fs.mkdirAt(d, "sub", 0700);
      try (Fs.Fd sub = Fs.openDirectoryAt(d, "sub")) {
        assertTrue(Fs.stat(sub).isDirectory());
      }
      Fs.unlinkAt(d, "sub", true);
      Fs.unlinkAt(d, "out.jsonl", false);
      assertFalse(Files.exists(dir.resolve("out.jsonl"), LinkOption.NOFOLLOW_LINKS));
    }
  }

  @Test
  void shouldRefuseASymlinkAtTheLeafAndInsideThePath() throws Exception {
    Path target = Files.createFile(dir.resolve("target"));
    Files.createSymbolicLink(dir.resolve("link"), target);
    Path realDir = Files.createDirectory(dir.resolve("real"));
    Files.createSymbolicLink(dir.resolve("dirlink"), realDir);
    try (Fs.Fd d = Fs.openDirectory(dir)) {
      NativeException e = assertThrows(NativeException.class, () -> Fs.openAppend(d, "link", 0640));
      assertTrue(e.isSymlink(), e.getMessage());
      assertTrue(Fs.lstatAt(d, "link").isSymlink());
      assertThrows(NativeException.class, () -> Fs.openDirectoryAt(d, "dirlink"));
    }
    NativeException e =
        assertThrows(
            NativeException.class,
            () -> Fs.openDirectory(dir.resolve("dirlink").resolve("x").getParent()));
    assertTrue(e.isSymlink() || e.errno() == Native.ENOTDIR, e.getMessage());
    assertEquals(0, Files.size(target), "nothing was written through a link");
  }

  @Test
  void shouldOpenAFifoWithoutBlockingAndTellItIsOne() throws Exception {
    Path fifo = dir.resolve("fifo");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertEquals(0, p.waitFor());
    try (Fs.Fd d = Fs.openDirectory(dir)) {
      // no reader: a blocking open would wait forever; this one fails at once with ENXIO
      NativeException e = assertThrows(NativeException.class, () -> Fs.openAppend(d, "fifo", 0640));
      assertEquals(6, e.errno(), e.getMessage());
      try (Fs.Fd f = Fs.openRead(d, "fifo")) {
        assertTrue(Fs.stat(f).isFifo());
      }
    }
  }

  @Test
  void shouldRefuseNamesThatAreNotOneComponent() throws Exception {
    try (Fs.Fd d = Fs.openDirectory(dir)) {
      for (String bad : new String[] {"", ".", "..", "a/b", "a\0b"}) {
        assertThrows(IllegalArgumentException.class, () -> Fs.openAppend(d, bad, 0600), bad);
      }
    }
  }
}
