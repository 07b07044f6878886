package dev.tfsr.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.io.IOException;
import org.junit.Test;

/** Every function of the core against the outputs that tfsr.faces computed for the same inputs. */
public class GoldenVectorsTest {
    @Test
    public void rgbaToRgbFloat() throws IOException {
        for (Golden g : Golden.load("rgba_to_rgb_float")) {
            Check.sameImage(g.name, g.floatImage("expect"), Pixels.toNetwork(g.pixels("rgba")));
        }
    }

    @Test
    public void squareBox() throws IOException {
        for (Golden g : Golden.load("square_box")) {
            double[] box = g.doubles("box");
            int[] hw = g.ints("image_hw");
            SquareBox sq = SquareBox.around(box[0], box[1], box[2], box[3], g.real("margin"), hw[0], hw[1]);
            assertArrayEquals(g.name, g.ints("expect"), new int[] {sq.x0, sq.y0, sq.side});
        }
    }

    @Test
    public void cropSquare() throws IOException {
        for (Golden g : Golden.load("crop_square")) {
            PixelImage crop = Crop.square(Check.padded(g.pixels("image"), 12), g.integer("x0"), g.integer("y0"),
                    g.integer("side"));
            Check.sameImage(g.name, g.pixels("expect"), crop);
        }
    }

    /** A resampler under test: image, output height, output width. */
    private interface Resizer {
        FloatImage resize(FloatImage img, int outH, int outW);
    }

    private static void checkResize(String function, Resizer resizer) throws IOException {
        for (Golden g : Golden.load(function)) {
            FloatImage out = resizer.resize(g.floatImage("img"), g.integer("out_h"), g.integer("out_w"));
            Check.sameImage(g.name, g.floatImage("expect"), out);
        }
    }

    @Test
    public void areaResize() throws IOException {
        checkResize("area_resize", Resample::area);
    }

    @Test
    public void resizeBilinear() throws IOException {
        checkResize("resize_bilinear", Resample::bilinear);
    }

    @Test
    public void resizeToSide() throws IOException {
        for (Golden g : Golden.load("resize_to_side")) {
            Check.sameImage(g.name, g.floatImage("expect"), Resample.toSide(g.floatImage("face"), g.integer("side")));
        }
    }

    @Test
    public void toPixels() throws IOException {
        for (Golden g : Golden.load("to_pixels")) {
            float[] x = g.floats("x");
            int[] expected = g.ints("expect");
            for (int i = 0; i < x.length; i++) {
                assertEquals(g.name + " x=" + x[i], expected[i], Pixels.toPixel(x[i]));
            }
        }
    }

    @Test
    public void featherMask() throws IOException {
        for (Golden g : Golden.load("feather_mask")) {
            Check.sameFloats(g.name, g.floats("expect"), FeatherMask.of(g.integer("side"), g.real("feather")));
        }
    }

    @Test
    public void paste() throws IOException {
        for (Golden g : Golden.load("paste")) {
            PixelImage image = Check.padded(g.pixels("image"), 8);
            int x0 = g.integer("x0");
            int y0 = g.integer("y0");
            float[] mask = g.floats("mask");
            if (g.type("face").equals("u8")) {
                Paste.paste(image, g.pixels("face"), x0, y0, mask);
            } else {
                Paste.paste(image, g.floatImage("face"), x0, y0, mask);
            }
            Check.sameImage(g.name, g.pixels("expect"), image);
        }
    }

    @Test
    public void faceInput() throws IOException {
        for (Golden g : Golden.load("face_input")) {
            PixelImage image = Check.padded(g.pixels("image"), 4);
            double[] box = g.doubles("box");
            SquareBox sq = SquareBox.around(box[0], box[1], box[2], box[3], g.real("margin"), image.height,
                    image.width);
            assertArrayEquals(g.name, g.ints("expect_square"), new int[] {sq.x0, sq.y0, sq.side});
            Check.sameImage(g.name, g.floatImage("expect_input"), FaceMath.faceInput(image, sq, FaceMath.INPUT_SIDE));
        }
    }

    @Test
    public void pasteFace() throws IOException {
        for (Golden g : Golden.load("paste_face")) {
            PixelImage image = g.pixels("image");
            SquareBox sq = new SquareBox(g.integer("x0"), g.integer("y0"), g.integer("side"));
            FaceMath.pasteFace(image, g.floatImage("enhanced"), sq, g.real("feather"));
            Check.sameImage(g.name, g.pixels("expect"), image);
        }
    }
}
