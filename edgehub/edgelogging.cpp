#include "edgehub/edgelogging.h"

Q_LOGGING_CATEGORY(lcEdge, "qedge.edgehub", QtInfoMsg)
Q_LOGGING_CATEGORY(lcEdgeLink, "qedge.edgehub.link", QtInfoMsg)
Q_LOGGING_CATEGORY(lcEdgeCert, "qedge.edgehub.cert", QtInfoMsg)
Q_LOGGING_CATEGORY(lcEdgeMeta, "qedge.edgehub.meta", QtInfoMsg)
Q_LOGGING_CATEGORY(lcEdgeOutbox, "qedge.edgehub.outbox", QtInfoMsg)
Q_LOGGING_CATEGORY(lcEdgeApi, "qedge.edgehub.api", QtInfoMsg)
