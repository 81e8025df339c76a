"""udp's configuration files, installed with the package as `udp.conf`: `udp` finds its defaults anywhere."""
