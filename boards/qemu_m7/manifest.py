include("../../firmware/manifest.py")
