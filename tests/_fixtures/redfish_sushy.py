"""Drives a Redfish service with python3-sushy (OpenStack's Redfish library, as Ironic uses it).

Written for pdud's tests: proves that a real Redfish client accepts pdud's Redfish simulator.
Usage: REDFISH_PASSWORD=... [REDFISH_CA=cert.pem] python3 redfish_sushy.py URL USERNAME AUTH RESET_TYPE
  URL        the service root, e.g. https://127.0.0.1:8443/redfish/v1
  AUTH       session | basic
  RESET_TYPE a ResetType value such as On or ForceOff
  REDFISH_CA the service's certificate to trust (https); requests lets REQUESTS_CA_BUNDLE in the
             environment override it, so run this without that variable.
Prints the system's power state before and after the reset, then the watts its chassis reports.
"""
import os
import sys

import sushy
from sushy import auth as sushy_auth

url, username, method, reset_type = sys.argv[1:5]
password = os.environ["REDFISH_PASSWORD"]
authenticator = (sushy_auth.SessionAuth if method == "session" else sushy_auth.BasicAuth)(
    username=username, password=password)
root = sushy.Sushy(url, auth=authenticator, verify=os.environ.get("REDFISH_CA", True))
system = root.get_system()
print("before", system.power_state.value)
system.reset_system(sushy.ResetType(reset_type))
system.refresh()
print("after", system.power_state.value)
chassis = root.get_chassis(system.json["Links"]["Chassis"][0]["@odata.id"])
# sushy 4.3 models PowerSupplies but not PowerControl: the resource it fetched, read as JSON.
print("watts", chassis.power.json["PowerControl"][0]["PowerConsumedWatts"])
root._conn.close()
