include("$(PORT_DIR)/boards/manifest.py")
include("../../firmware/manifest.py")
include("../../models/manifest.py")
