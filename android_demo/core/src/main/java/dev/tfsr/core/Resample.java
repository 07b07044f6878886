package dev.tfsr.core;

/**
 * Separable resampling: exact area averaging and half-pixel bilinear; mirrors {@code tfsr.faces.area_resize},
 * {@code resize_bilinear} and {@code resize_to_side}. Weights are computed with the same float64
 * expressions as the Python side, sums run in float64 and the result is rounded to float32 once.
 */
public final class Resample {
    private Resample() {}

    /** Weights of one axis: output {@code i} reads inputs {@code first[i] .. first[i] + weights[i].length - 1}. */
    static final class Weights {
        final int[] first;
        final double[][] weights;

        Weights(int nOut) {
            first = new int[nOut];
            weights = new double[nOut][];
        }
    }

    /**
     * Area weights: output {@code i} covers [lo, hi) with {@code lo = i * nIn / nOut}, {@code hi = (i + 1) *
     * nIn / nOut}; input pixel j (covering [j, j + 1)) weighs {@code overlap * nOut / nIn}.
     */
    static Weights area(int nIn, int nOut) {
        checkSizes(nIn, nOut);
        Weights w = new Weights(nOut);
        for (int i = 0; i < nOut; i++) {
            double lo = (double) ((long) i * nIn) / nOut;
            double hi = (double) ((long) (i + 1) * nIn) / nOut;
            int start = (int) Math.floor(lo);
            int end = (int) Math.min(Math.ceil(hi), nIn);
            w.first[i] = start;
            w.weights[i] = new double[Math.max(end - start, 0)];
            for (int j = start; j < end; j++) {
                double overlap = Math.min(hi, j + 1.0) - Math.max(lo, (double) j);
                if (overlap > 0) {
                    w.weights[i][j - start] = overlap * nOut / nIn;
                }
            }
        }
        return w;
    }

    /**
     * Bilinear weights with half-pixel centres: output d reads position {@code s = (d + 0.5) * nIn / nOut -
     * 0.5} clamped to [0, nIn - 1]; {@code 1 - f} of pixel floor(s) and {@code f} of the next one.
     */
    static Weights bilinear(int nIn, int nOut) {
        checkSizes(nIn, nOut);
        Weights w = new Weights(nOut);
        for (int d = 0; d < nOut; d++) {
            double s = Math.min(Math.max((d + 0.5) * nIn / nOut - 0.5, 0.0), nIn - 1.0);
            int j = (int) Math.floor(s);
            double f = s - j;
            w.first[d] = j;
            w.weights[d] = j + 1 < nIn ? new double[] {1.0 - f, f} : new double[] {1.0 - f + f};
        }
        return w;
    }

    private static void checkSizes(int nIn, int nOut) {
        if (nIn < 1 || nOut < 1) {
            throw new IllegalArgumentException("sizes must be >= 1, got " + nIn + " -> " + nOut);
        }
    }

    /** Rows first, then columns, summed in float64; one rounding to float32 at the end. */
    static FloatImage apply(FloatImage img, Weights rows, Weights cols) {
        int outH = rows.first.length;
        int outW = cols.first.length;
        int ch = img.channels;
        int rowLength = img.width * ch;
        double[] vertical = new double[outH * rowLength];
        for (int i = 0; i < outH; i++) {
            double[] wi = rows.weights[i];
            for (int t = 0; t < wi.length; t++) {
                double weight = wi[t];
                int src = (rows.first[i] + t) * rowLength;
                int dst = i * rowLength;
                for (int k = 0; k < rowLength; k++) {
                    vertical[dst + k] += weight * img.data[src + k];
                }
            }
        }
        FloatImage out = FloatImage.allocate(outH, outW, ch);
        double[] acc = new double[ch];
        for (int i = 0; i < outH; i++) {
            for (int k = 0; k < outW; k++) {
                java.util.Arrays.fill(acc, 0.0);
                double[] wk = cols.weights[k];
                for (int t = 0; t < wk.length; t++) {
                    int src = i * rowLength + (cols.first[k] + t) * ch;
                    for (int c = 0; c < ch; c++) {
                        acc[c] += wk[t] * vertical[src + c];
                    }
                }
                int dst = out.index(i, k, 0);
                for (int c = 0; c < ch; c++) {
                    out.data[dst + c] = (float) acc[c];
                }
            }
        }
        return out;
    }

    /** Exact area averaging to {@code outH x outW} (fractional coverage for non-integer ratios). */
    public static FloatImage area(FloatImage img, int outH, int outW) {
        return apply(img, area(img.height, outH), area(img.width, outW));
    }

    /** Half-pixel bilinear resize to {@code outH x outW}, meant for upscaling. */
    public static FloatImage bilinear(FloatImage img, int outH, int outW) {
        return apply(img, bilinear(img.height, outH), bilinear(img.width, outW));
    }

    /**
     * The generator's square output brought to a face square's side: area averaging when {@code side} is
     * not larger than the face (equal sizes unchanged), bilinear when it is.
     */
    public static FloatImage toSide(FloatImage face, int side) {
        if (face.height != face.width) {
            throw new IllegalArgumentException("expected a square face, got " + face.height + "x" + face.width);
        }
        return side <= face.height ? area(face, side, side) : bilinear(face, side, side);
    }
}
