/* cairn/cairn.h: the umbrella header for libcairn.
 *
 * core.h     errors, memory, arenas, buffers, logging, hashing, time, thread pool
 * json.h     JSON helpers (jansson)          yaml.h   YAML trees with positions (libyaml)
 * table.h    columnar tables, CSV and JSON Lines, the table of file formats
 * catalog.h  the metadata store and the Cairn home
 * parquet.h  Parquet reader and writer          arrow.h  the Arrow C Data Interface
 * ingest.h   dataset schemas and the schema registry
 * serve.h    the HTTP server (routes, metrics)
 */
#ifndef CAIRN_H
#define CAIRN_H

#include "core.h"
#include "json.h"
#include "yaml.h"
#include "table.h"
#include "catalog.h"
#include "parquet.h"
#include "arrow.h"
#include "lake.h"
#include "ingest.h"
#include "feature.h"
#include "serve.h"
#include "metrics.h"
#include "split.h"
#include "search.h"
#include "learn.h"
#include "runs.h"
#include "train.h"

#endif /* CAIRN_H */
