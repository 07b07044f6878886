package dev.tfsr.modeltest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.tfsr.core.FaceMath;
import dev.tfsr.core.FloatImage;
import dev.tfsr.core.PixelImage;
import dev.tfsr.core.SquareBox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/**
 * The app's model path on the JVM: a real photo's faces prepared by {@code core} exactly as
 * FacePipeline.kt prepares a camera frame's (RGBA pixels, {@code SquareBox.around} with the app's
 * margin, {@code FaceMath.faceInput}), one zero-padded batch through an exported {@code .tflite} on
 * LiteRT's CompiledModel (the C API under the app's Kotlin one, see {@link LiteRtC}), the outputs
 * pasted back with {@code FaceMath.pasteFace} and the app's feather, and the picture compared with
 * what {@code tfsr enhance} wrote for the same photo, faces and settings (make_fixture.py).
 *
 * <p>Tolerance: every pixel within 1 of {@code tfsr enhance}'s. Both sides run the same model on
 * LiteRT's CPU, {@code tfsr enhance} through the Interpreter API and this test through
 * CompiledModel, and the core mirrors tfsr.faces's arithmetic operation for operation (bit for bit in
 * its golden tests), so only a float rounding difference inside LiteRT could move a pixel, and by
 * one step at most; pixels outside every face square must be equal.
 *
 * <p>Run by modeltest/run.sh, which makes the fixture and passes {@code -Dtfsr.fixture} (its folder)
 * and {@code -Dtfsr.litert} (libLiteRt.so of the ai-edge-litert wheel).
 */
public class ModelPathTest {
    /** FacePipeline.kt's MARGIN and FEATHER; make_fixture.py passes the same to tfsr enhance. */
    private static final double MARGIN = 0.25;
    private static final double FEATHER = 0.15;
    private static final int OUTPUT_SIDE = 64;
    private static final int INPUT_VALUES = FaceMath.INPUT_SIDE * FaceMath.INPUT_SIDE * 3;
    private static final int OUTPUT_VALUES = OUTPUT_SIDE * OUTPUT_SIDE * 3;

    private static Path fixture(String name) {
        return Path.of(System.getProperty("tfsr.fixture", "build/fixture")).resolve(name);
    }

    @Test
    public void pastedFacesMatchTfsrEnhance() throws Throwable {
        String[] hw = Files.readString(fixture("photo.txt")).trim().split("\\s+");
        int height = Integer.parseInt(hw[0]);
        int width = Integer.parseInt(hw[1]);
        byte[] photo = Files.readAllBytes(fixture("photo.rgb"));
        PixelImage frame = rgba(photo, height, width);
        byte[] reference = Files.readAllBytes(fixture("reference.rgb"));
        assertEquals("reference size", (long) height * width * 3, reference.length);

        List<SquareBox> squares = new ArrayList<>();
        for (String line : Files.readAllLines(fixture("boxes.txt"))) {
            String[] b = line.trim().split("\\s+");
            squares.add(SquareBox.around(Double.parseDouble(b[0]), Double.parseDouble(b[1]),
                    Double.parseDouble(b[2]), Double.parseDouble(b[3]), MARGIN, height, width));
        }
        assertTrue("the photo has faces", !squares.isEmpty());

        try (LiteRtC model = new LiteRtC(Path.of(System.getProperty("tfsr.litert")), fixture("model.tflite"))) {
            // The names SuperResolver.kt looks the tensors up by.
            assertEquals("serving_default", model.signatureKey);
            assertEquals("lr_faces", model.inputName);
            assertEquals("output_0", model.outputName);
            int batch = model.inputShape[0];
            assertArrayEquals(new int[] {batch, 16, 16, 3}, model.inputShape);
            assertArrayEquals(new int[] {batch, OUTPUT_SIDE, OUTPUT_SIDE, 3}, model.outputShape);

            List<FloatImage> outputs = new ArrayList<>();
            float[] input = new float[batch * INPUT_VALUES];
            for (int start = 0; start < squares.size(); start += batch) {
                // As SuperResolver.enhance: the chunk's faces, the rest of the batch zeros.
                java.util.Arrays.fill(input, 0f);
                int count = Math.min(batch, squares.size() - start);
                for (int i = 0; i < count; i++) {
                    float[] face = FaceMath.faceInput(frame, squares.get(start + i), FaceMath.INPUT_SIDE).data;
                    System.arraycopy(face, 0, input, i * INPUT_VALUES, INPUT_VALUES);
                }
                float[] out = model.run(input, batch * OUTPUT_VALUES);
                for (int i = 0; i < count; i++) {
                    float[] values = java.util.Arrays.copyOfRange(out, i * OUTPUT_VALUES, (i + 1) * OUTPUT_VALUES);
                    outputs.add(new FloatImage(values, OUTPUT_SIDE, OUTPUT_SIDE, 3));
                }
            }
            for (int i = 0; i < squares.size(); i++) {
                FaceMath.pasteFace(frame, outputs.get(i), squares.get(i), FEATHER);
            }
        }

        int worst = 0;
        long differing = 0;
        long changed = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                boolean inFace = false;
                for (SquareBox s : squares) {
                    inFace |= x >= s.x0 && x < s.x0 + s.side && y >= s.y0 && y < s.y0 + s.side;
                }
                for (int c = 0; c < 3; c++) {
                    int got = frame.get(y, x, c);
                    int want = reference[(y * width + x) * 3 + c] & 0xff;
                    int diff = Math.abs(got - want);
                    if (diff != 0) {
                        differing++;
                        assertTrue("pixel (" + x + ", " + y + ") outside the faces changed", inFace);
                    }
                    worst = Math.max(worst, diff);
                    if (got != (photo[(y * width + x) * 3 + c] & 0xff)) {
                        changed++;
                    }
                }
            }
        }
        System.out.printf("model path: %d face(s), %d values changed by the paste, %d of %d differ from tfsr enhance,"
                + " by at most %d%n", squares.size(), changed, differing, (long) height * width * 3, worst);
        assertTrue("largest difference " + worst + " exceeds 1", worst <= 1);
        // Equal pictures prove nothing if neither side pasted anything.
        assertTrue("the pasted faces left the photo unchanged", changed > 0);
    }

    /** Packed RGB rows as the RGBA frame the app hands to core (opaque alpha). */
    private static PixelImage rgba(byte[] rgb, int height, int width) throws IOException {
        if (rgb.length != height * width * 3) {
            throw new IOException("photo.rgb holds " + rgb.length + " bytes, expected " + height * width * 3);
        }
        byte[] data = new byte[height * width * 4];
        for (int i = 0; i < height * width; i++) {
            data[i * 4] = rgb[i * 3];
            data[i * 4 + 1] = rgb[i * 3 + 1];
            data[i * 4 + 2] = rgb[i * 3 + 2];
            data[i * 4 + 3] = (byte) 0xff;
        }
        return new PixelImage(data, height, width, 4, width * 4);
    }
}
