package dev.tfsr.core;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the golden vectors written by {@code android_demo/tools/make_golden.py} from the test classpath
 * ({@code /golden/<function>.txt}); see that script for the format.
 */
final class Golden {
    final String name;
    private final Map<String, String[]> tokens = new HashMap<>();

    private Golden(String name) {
        this.name = name;
    }

    /** Every case of one function's file, in file order. */
    static List<Golden> load(String function) throws IOException {
        String resource = "/golden/" + function + ".txt";
        InputStream in = Golden.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IOException(resource + " is not on the classpath (run android_demo/tools/make_golden.py)");
        }
        List<Golden> cases = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            Golden current = null;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split(" ");
                if (parts[0].equals("case")) {
                    current = new Golden(function + "/" + parts[1]);
                } else if (parts[0].equals("end")) {
                    cases.add(current);
                } else {
                    current.tokens.put(parts[0], parts);
                }
            }
        }
        if (cases.isEmpty()) {
            throw new IOException(resource + " holds no cases");
        }
        return cases;
    }

    private String[] entry(String key) {
        String[] parts = tokens.get(key);
        if (parts == null) {
            throw new IllegalArgumentException(name + " has no key " + key);
        }
        return parts;
    }

    /** The value type: u8, i32, f32 or f64. */
    String type(String key) {
        return entry(key)[1];
    }

    /** The array's shape ({@code {}} for a scalar). */
    int[] shape(String key) {
        String shape = entry(key)[2];
        if (shape.equals("-")) {
            return new int[0];
        }
        String[] dims = shape.split("x");
        int[] out = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            out[i] = Integer.parseInt(dims[i]);
        }
        return out;
    }

    private String[] values(String key) {
        String[] parts = entry(key);
        String[] out = new String[parts.length - 3];
        System.arraycopy(parts, 3, out, 0, out.length);
        return out;
    }

    float[] floats(String key) {
        String[] v = values(key);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.parseFloat(v[i]);
        }
        return out;
    }

    double[] doubles(String key) {
        return Arrays.stream(values(key)).mapToDouble(Double::parseDouble).toArray();
    }

    int[] ints(String key) {
        return Arrays.stream(values(key)).mapToInt(Integer::parseInt).toArray();
    }

    int integer(String key) {
        return ints(key)[0];
    }

    double real(String key) {
        return doubles(key)[0];
    }

    /** A u8 array of shape HxWxC as a packed image. */
    PixelImage pixels(String key) {
        int[] s = shape(key);
        int[] v = ints(key);
        byte[] data = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            data[i] = (byte) v[i];
        }
        return new PixelImage(data, s[0], s[1], s[2], s[1] * s[2]);
    }

    /** An f32 array of shape HxWxC. */
    FloatImage floatImage(String key) {
        int[] s = shape(key);
        return new FloatImage(floats(key), s[0], s[1], s[2]);
    }
}
