# The frozen part of every earshot firmware: the device-side Python package.
# Boards include this file from their own manifest.py (paths are relative to this file).
package("earshot", opt=3)
