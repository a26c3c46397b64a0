#include "cloudhub/hublogging.h"

Q_LOGGING_CATEGORY(lcHub, "qedge.cloudhub", QtInfoMsg)
Q_LOGGING_CATEGORY(lcHubSession, "qedge.cloudhub.session", QtInfoMsg)
Q_LOGGING_CATEGORY(lcHubCerts, "qedge.cloudhub.certs", QtInfoMsg)
Q_LOGGING_CATEGORY(lcHubDelivery, "qedge.cloudhub.delivery", QtInfoMsg)
Q_LOGGING_CATEGORY(lcHubStore, "qedge.cloudhub.store", QtInfoMsg)
Q_LOGGING_CATEGORY(lcHubAdmin, "qedge.cloudhub.admin", QtInfoMsg)
