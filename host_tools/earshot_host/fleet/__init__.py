"""Many boards: earshot's detections onto MQTT (a broker, Home Assistant's discovery).

topics.py   the topic layout and discovery configs (shared with firmware/earshot/mqtt.py)
broker.py   a paho-mqtt connection that reconnects and queues QoS 1 messages
bridge.py   `earshot bridge`: serial ports in, MQTT out
"""
