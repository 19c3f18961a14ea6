include("../../firmware/manifest.py")
include("../../models/manifest.py", large_models=False)
