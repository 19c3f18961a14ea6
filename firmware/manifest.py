# The frozen part of every earshot firmware: the device-side Python package. Boards
# include this file from their own manifest.py (paths are relative to this file). A board
# without a network leaves out earshot.mqtt (network=False), one with a single core
# earshot.dualcore (dual_core=False): their flash goes to models instead.
import os

options.defaults(network=True, dual_core=True)
left_out = set()
if not options.network:
    left_out.add("mqtt.py")
if not options.dual_core:
    left_out.add("dualcore.py")
files = sorted(
    os.path.relpath(os.path.join(folder, name), "earshot")
    for folder, _, names in os.walk("earshot")
    for name in names
    if name.endswith(".py")
)
package("earshot", files=[f for f in files if f not in left_out], opt=3)
