package io.udsink.collector.aggregate;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import com.datadoghq.sketch.ddsketch.store.Bin;
import com.datadoghq.sketch.ddsketch.store.Store;
import java.util.Iterator;

/**
 * The one place quantile sketches are made and merged.
 *
 * <p>Every sketch is a DDSketch with {@link Series#RELATIVE_ACCURACY} and a dense store that
 * collapses its lowest bins beyond {@link Series#MAX_BINS} a side, so that all of them share one
 * shape. Merges never go through sketches-java's own store merge: in 0.8.3 merging a store whose
 * range is wider than the target's bin limit into an empty target corrupts the target's indices
 * and throws {@code ArrayIndexOutOfBoundsException} (a summary then vanished from every output).
 * {@link #merge} adds the source's bins one at a time, highest first, through the store's ordinary
 * add, which collapses correctly whatever the two stores' ranges and bounds.
 */
public final class Sketches {
  private Sketches() {}

  /** A new, empty sketch of the shape every series uses. */
  public static DDSketch create() {
    return DDSketches.collapsingLowestDense(Series.RELATIVE_ACCURACY, Series.MAX_BINS);
  }

  /**
   * Adds every sample of {@code from} to {@code into}; {@code from} is not changed.
   *
   * @param into the sketch that grows
   * @param from the sketch whose samples are added
   */
  public static void merge(DDSketch into, DDSketch from) {
    if (!into.getIndexMapping().equals(from.getIndexMapping())) {
      throw new IllegalArgumentException("sketches of different accuracies cannot merge");
    }
    Store positive = from.getPositiveValueStore();
    Store negative = from.getNegativeValueStore();
    double zero = zeroCount(from);
    addBins(into.getPositiveValueStore(), positive);
    addBins(into.getNegativeValueStore(), negative);
    if (zero > 0) {
      into.accept(0.0, zero);
    }
  }

  /** The count of samples too close to zero for a bin of their own. */
  public static double zeroCount(DDSketch s) {
    double z =
        s.getCount()
            - s.getPositiveValueStore().getTotalCount()
            - s.getNegativeValueStore().getTotalCount();
    // what is left is the zero count, up to rounding of the sums
    return z > s.getCount() * 1e-12 ? z : 0;
  }

  /**
   * Adds one bin ({@code index} as the sketch's mapping numbers them) to a side of a sketch.
   *
   * @param s the sketch
   * @param positiveSide true for the values above zero
   * @param index the bin's index
   * @param count its count, above zero
   */
  public static void addBin(DDSketch s, boolean positiveSide, int index, double count) {
    if (!(count > 0) || !Double.isFinite(count)) {
      throw new IllegalArgumentException("a bin's count must be finite and above zero");
    }
    (positiveSide ? s.getPositiveValueStore() : s.getNegativeValueStore()).add(index, count);
  }

  private static void addBins(Store into, Store from) {
    if (from.isEmpty()) {
      return;
    }
    // highest first: a store that collapses its lowest bins then only ever collapses downwards
    Iterator<Bin> it = from.getDescendingIterator();
    while (it.hasNext()) {
      Bin b = it.next();
      if (b.getCount() > 0) {
        into.add(b.getIndex(), b.getCount());
      }
    }
  }
}
