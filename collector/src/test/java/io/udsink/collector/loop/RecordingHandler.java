package io.udsink.collector.loop;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** Records what the loop hands over, for assertions from the test thread. */
class RecordingHandler implements DatagramHandler {
  final AtomicLongArray perSocket;
  final AtomicLong total = new AtomicLong();
  final AtomicLong truncated = new AtomicLong();
  final List<String> texts = new CopyOnWriteArrayList<>();
  final AtomicLong stops = new AtomicLong();
  volatile long totalAtStop = -1;
  final boolean keepTexts;

  RecordingHandler(int sockets, boolean keepTexts) {
    this.perSocket = new AtomicLongArray(sockets);
    this.keepTexts = keepTexts;
  }

  @Override
  public void onDatagram(int socket, ByteBuffer datagram, boolean cut) {
    perSocket.incrementAndGet(socket);
    total.incrementAndGet();
    if (cut) {
      truncated.incrementAndGet();
    }
    if (keepTexts) {
      byte[] b = new byte[datagram.remaining()];
      datagram.get(b);
      texts.add(socket + ":" + new String(b, StandardCharsets.UTF_8));
    }
  }

  @Override
  public void onStop() {
    stops.incrementAndGet();
    totalAtStop = total.get();
  }
}
