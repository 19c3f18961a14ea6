include("../../firmware/manifest.py")
include("../../models/manifest.py")
