# `micropython -m earshot`: print the banner (the audio pipeline will hang off this).
import earshot

print(earshot.banner())
