package io.udsink.collector.export.jsonl;

import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.export.Output;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.export.TelemetryMetric;
import io.udsink.collector.export.TelemetryPoint;
import io.udsink.collector.sys.Fs;
import io.udsink.collector.sys.NativeException;
import io.udsink.collector.transport.ProcessUser;
import io.udsink.collector.util.TrustedDirectory;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON lines to a file (appended), a FIFO, or standard output. Runs on its own worker thread.
 *
 * <ul>
 *   <li>Every line is written exactly once and never torn: bytes go out through a channel that
 *       reports how much each write took, so a write cut short (a full disk) is continued at
 *       the exact byte where it stopped, not repeated.</li>
 *   <li>Before each write the path is checked: when the file at the path is no longer the one
 *       open (deleted, moved away by log rotation, replaced), it is reopened, and a line cut short
 *       in the old file is written whole to the new one.</li>
 *   <li>Nobody can redirect an open: the directory is reached one component at a time without
 *       following a link ({@link Fs#openDirectory}), must be one no other user can change
 *       ({@link TrustedDirectory}), and the file is opened in it with {@code O_NOFOLLOW} and
 *       {@code O_NONBLOCK}; what was opened must be a regular file (or, when the output was a
 *       FIFO or a character device such as {@code /dev/null} at start, one of those), checked
 *       on the open descriptor. A new file is created 0640. An
 *       open refused for any of these is logged and counted as a failed write, and retried with
 *       the interval kept, as for any failed write.</li>
 *   <li>A FIFO is opened without waiting: with no reader the open fails and is retried, so a
 *       FIFO nobody reads never delays start-up, a stop or another output.</li>
 * </ul>
 */
public final class JsonLinesOutput implements Output {
  private static final Logger LOG = LoggerFactory.getLogger(JsonLinesOutput.class);

  /** Mode of a file the output creates: the metrics are not for every local user. */
  static final int NEW_FILE_MODE = 0640;

  private final Path file;
  private final Telemetry telemetry;
  private FileChannel channel;

  /** The directory of the open file, reached without links; open while the file is. */
  private Fs.Fd directory;

  /** What the open file is (device and inode), read from its descriptor. */
  private Fs.Stat openId;

  private boolean fifo;

  /** True when the output was a character device at start ({@code /dev/null}). */
  private boolean device;

  private ByteBuffer held;
  private int heldLineStart;
  private volatile long heldLines;

  /** Each counter's value as of the last line written, by {@link TelemetryPoint#key()}. */
  private Map<String, Double> reported = Map.of();

  private JsonLinesOutput(Path file, Telemetry telemetry) {
    this.file = file;
    this.telemetry = telemetry;
  }

  /**
   * Creates the output. A regular file is opened (created) now, so that a bad path is reported
   * at start-up; a FIFO is opened later, by the worker.
   *
   * @param file the file to append to, or {@code null} for standard output
   * @param telemetry where counters come from
   * @return the output
   * @throws IOException when the file cannot be opened
   */
  public static JsonLinesOutput open(Path file, Telemetry telemetry) throws IOException {
    JsonLinesOutput out = new JsonLinesOutput(file, telemetry);
    if (file == null) {
      out.channel = new FileOutputStream(FileDescriptor.out).getChannel();
    } else {
      Fs.Stat type = Fs.lstatIfAny(file);
      if (type != null && type.isFifo()) {
        out.fifo = true;
        LOG.info("JSON lines to FIFO {}: opened when a reader appears", file);
      } else {
        out.device = type != null && type.isCharDevice(); // /dev/null, as the operator chose
        out.openFile();
      }
    }
    return out;
  }

  @Override
  public String name() {
    return "jsonl";
  }

  /** Where the lines go, for messages. */
  public String target() {
    return file == null ? "standard output" : file.toString();
  }

  @Override
  public void write(Interval iv) throws IOException {
    prepareChannel();
    List<TelemetryPoint> now = telemetry.ownSnapshot();
    JsonLines.Chunk chunk = JsonLines.format(iv, telemetryLines(now), telemetry);
    ByteBuffer buf = ByteBuffer.wrap(chunk.bytes());
    try {
      writeFully(buf);
    } catch (IOException e) {
      dropChannel();
      if (buf.position() == 0) {
        throw e; // nothing taken: the worker keeps the interval
      }
      hold(buf);
      commit(now);
      throw new HeldException(e);
    }
    commit(now);
  }

  @Override
  public void writeHeld() throws IOException {
    prepareChannel();
    try {
      writeFully(held);
    } catch (IOException e) {
      dropChannel();
      hold(held);
      throw new HeldException(e);
    }
    held = null;
    heldLines = 0;
  }

  @Override
  public boolean holds() {
    return held != null;
  }

  @Override
  public long heldLines() {
    return heldLines;
  }

  private void hold(ByteBuffer buf) {
    held = buf;
    int p = buf.position();
    byte[] b = buf.array();
    int start = p;
    while (start > 0 && b[start - 1] != '\n') {
      start--;
    }
    heldLineStart = start;
    long n = 0;
    for (int i = p; i < buf.limit(); i++) {
      if (b[i] == '\n') {
        n++;
      }
    }
    heldLines = n;
  }

  private void commit(List<TelemetryPoint> now) {
    Map<String, Double> r = new HashMap<>();
    for (TelemetryPoint p : now) {
      if (p.metric().type() == TelemetryMetric.Type.COUNTER) {
        r.put(p.key(), p.value());
      }
    }
    reported = r;
  }

  /**
   * The catalogue as telemetry lines: a counter as what it grew by since the last line written
   * (one with labels only when it grew), a gauge as its value, an info as 1 with its labels as
   * tags.
   */
  private List<JsonLines.TelemetryLine> telemetryLines(List<TelemetryPoint> now) {
    List<JsonLines.TelemetryLine> lines = new ArrayList<>();
    for (TelemetryPoint p : now) {
      double v = p.value();
      if (p.metric().type() == TelemetryMetric.Type.COUNTER) {
        v -= reported.getOrDefault(p.key(), 0.0);
        if (v == 0 && !p.labels().isEmpty()) {
          continue;
        }
      }
      List<String> tags = new ArrayList<>(p.labels().size());
      for (int i = 0; i < p.labels().size(); i++) {
        tags.add(p.metric().labels().get(i) + ":" + p.labels().get(i));
      }
      lines.add(new JsonLines.TelemetryLine(p.metric().metric(), tags, v));
    }
    return lines;
  }

  /** Opens the target if needed, and reopens it when the path no longer names the open file. */
  private void prepareChannel() throws IOException {
    if (file == null) {
      return;
    }
    if (channel != null && !fifo) {
      Fs.Stat now = identity();
      if (!openId.sameFile(now)) {
        LOG.warn(
            "JSON lines file {} was {}; reopening it",
            file,
            now == null ? "deleted" : "replaced or moved away");
        dropChannel();
        openId = null;
      }
    }
    if (channel == null) {
      Fs.Stat before = openId;
      openFile();
      if (held != null && (fifo || !openId.sameFile(before))) {
        held.position(heldLineStart); // a new file or reader gets the cut line whole
      }
    }
  }

  private void openFile() throws IOException {
    Path abs = file.toAbsolutePath();
    Path parent = abs.getParent();
    String name = abs.getFileName().toString();
    Fs.Fd dir = Fs.openDirectory(parent);
    Fs.Fd f = null;
    try {
      Fs.Stat ds = Fs.stat(dir);
      String problem =
          TrustedDirectory.problem(
              "JSON lines " + file,
              parent,
              ds.mode(),
              ds.uid(),
              ds.gid(),
              ProcessUser.uid(),
              ProcessUser.gid());
      if (problem != null) {
        throw new IOException(problem);
      }
      f = Fs.openAppend(dir, name, NEW_FILE_MODE);
      Fs.Stat st = Fs.stat(f);
      if (!(st.isRegularFile() || (fifo && st.isFifo()) || (device && st.isCharDevice()))) {
        throw new IOException(
            "JSON lines "
                + file
                + ": not a regular file"
                + (st.isFifo()
                    ? " but a FIFO (it was not one at start)"
                    : st.isCharDevice() ? " but a device (it was not one at start)" : "")
                + "; refusing to write to it");
      }
      if (TrustedDirectory.othersMayWrite(ds.mode(), ds.gid(), ProcessUser.gid())
          && st.uid() != ProcessUser.uid()) {
        throw new IOException(
            "JSON lines "
                + file
                + ": belongs to user "
                + st.uid()
                + " in a directory others can write to; refusing to write to it");
      }
      if (st.isFifo() || st.isCharDevice()) {
        Fs.setBlocking(f); // opened without waiting; its writes wait for the reader as before
      }
      channel = Fs.channel(f);
      f = null;
      openId = st;
      directory = dir;
      dir = null;
    } finally {
      if (f != null) {
        f.close();
      }
      if (dir != null) {
        dir.close();
      }
    }
  }

  private void writeFully(ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      channel.write(buf);
    }
  }

  private void dropChannel() {
    if (channel != null && file != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.debug("close failed", e);
      }
      channel = null;
      try {
        directory.close();
      } catch (IOException e) {
        LOG.debug("close failed", e);
      }
      directory = null;
    }
  }

  @Override
  public void reopen() {
    if (file != null && channel != null) {
      LOG.info("JSON lines to {}: reopening (SIGHUP)", file);
      dropChannel();
      openId = null; // a cut line goes to the new file whole
    }
  }

  @Override
  public void close() {
    dropChannel();
  }

  /** What the path names now in the open file's directory (not following a link), or null. */
  private Fs.Stat identity() throws IOException {
    try {
      return Fs.lstatAt(directory, file.getFileName().toString());
    } catch (NativeException e) {
      if (e.isNotFound()) {
        return null;
      }
      throw e;
    }
  }
}
