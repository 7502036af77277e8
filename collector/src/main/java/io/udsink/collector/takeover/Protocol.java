package io.udsink.collector.takeover;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/** The messages of a takeover, each written in one {@code write}. */
final class Protocol {
  static final String MAGIC = "udsink-takeover";
  static final int VERSION = 1;
  static final String OFFER = "offer";
  static final String REFUSED = "refused";
  static final String READY = "ready";
  static final String STATE = "state";
  static final String DONE = "done";
  static final String FAILED = "failed";

  private Protocol() {}

  /** Builds a message in memory, then writes it at once (the descriptors go with that write). */
  interface Body {
    void write(DataOutputStream out) throws IOException;
  }

  static void send(OutputStream out, Body body) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (DataOutputStream d = new DataOutputStream(buf)) {
      body.write(d);
    }
    out.write(buf.toByteArray());
    out.flush();
  }

  static List<String> readSpecs(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 4096) {
      throw new IOException("bad socket count " + n);
    }
    String[] specs = new String[n];
    for (int i = 0; i < n; i++) {
      specs[i] = in.readUTF();
    }
    return List.of(specs);
  }
}
