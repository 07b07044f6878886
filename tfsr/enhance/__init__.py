"""Face enhancement: find faces in a picture, run the Low-to-High generator on them and paste them back."""
