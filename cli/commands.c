/* cli/commands.c: the one table of commands. Adding a command is a descriptor in its group's
 * file plus one line here. */
#include <string.h>

#include "cli.h"

extern const cli_command cli_cmd_init, cli_cmd_version, cli_cmd_help;
extern const cli_command cli_cmd_data_head, cli_cmd_data_schema, cli_cmd_data_stats,
    cli_cmd_data_convert;
extern const cli_command cli_cmd_schema_register, cli_cmd_schema_check, cli_cmd_schema_list,
    cli_cmd_schema_show, cli_cmd_schema_mode;
/* ingest and dlq commands (cmd_ingest.c): declarations */
extern const cli_command cli_cmd_ingest, cli_cmd_dlq_list, cli_cmd_dlq_show, cli_cmd_dlq_replay,
    cli_cmd_data_quality;
/* lake commands (cmd_lake.c): declarations */
extern const cli_command cli_cmd_data_log, cli_cmd_data_diff, cli_cmd_data_snapshot,
    cli_cmd_data_compact, cli_cmd_data_gc, cli_cmd_data_retention, cli_cmd_data_hold;
/* stream commands (cmd_stream.c): declarations */
extern const cli_command cli_cmd_ingest_stream;
/* feature commands (cmd_features.c): declarations */
extern const cli_command cli_cmd_features_apply, cli_cmd_features_list, cli_cmd_features_search,
    cli_cmd_features_show, cli_cmd_features_stats;
/* training set commands (cmd_training.c): declarations */
extern const cli_command cli_cmd_dataset_build, cli_cmd_dataset_list, cli_cmd_dataset_show,
    cli_cmd_optout_add, cli_cmd_optout_list, cli_cmd_optout_remove, cli_cmd_features_lineage;
/* materialize and online read commands (cmd_materialize.c): declarations */
extern const cli_command cli_cmd_materialize, cli_cmd_features_get;
/* server commands (cmd_serve.c): declarations */
extern const cli_command cli_cmd_serve;
/* run tracking commands (cmd_runs.c): declarations */
extern const cli_command cli_cmd_runs_list, cli_cmd_runs_show, cli_cmd_runs_compare, cli_cmd_runs_history,
    cli_cmd_runs_experiments, cli_cmd_runs_reap, cli_cmd_runs_importance;
/* training (cmd_train.c): declarations */
extern const cli_command cli_cmd_train;

const cli_command *const cli_commands[] = {
    &cli_cmd_init,
    &cli_cmd_version,
    &cli_cmd_help,
    &cli_cmd_data_head,
    &cli_cmd_data_schema,
    &cli_cmd_data_stats,
    &cli_cmd_data_convert,
    &cli_cmd_schema_register,
    &cli_cmd_schema_check,
    &cli_cmd_schema_list,
    &cli_cmd_schema_show,
    &cli_cmd_schema_mode,
    /* ingest and dlq commands (cmd_ingest.c) */
    &cli_cmd_ingest,
    &cli_cmd_dlq_list,
    &cli_cmd_dlq_show,
    &cli_cmd_dlq_replay,
    &cli_cmd_data_quality,
    /* lake commands (cmd_lake.c) */
    &cli_cmd_data_log,
    &cli_cmd_data_diff,
    &cli_cmd_data_snapshot,
    &cli_cmd_data_compact,
    &cli_cmd_data_gc,
    &cli_cmd_data_retention,
    &cli_cmd_data_hold,
    /* stream commands (cmd_stream.c) */
    &cli_cmd_ingest_stream,
    /* feature commands (cmd_features.c) */
    &cli_cmd_features_apply,
    &cli_cmd_features_list,
    &cli_cmd_features_search,
    &cli_cmd_features_show,
    &cli_cmd_features_stats,
    /* training set commands (cmd_training.c) */
    &cli_cmd_dataset_build,
    &cli_cmd_dataset_list,
    &cli_cmd_dataset_show,
    &cli_cmd_optout_add,
    &cli_cmd_optout_list,
    &cli_cmd_optout_remove,
    &cli_cmd_features_lineage,
    /* materialize and online read commands (cmd_materialize.c) */
    &cli_cmd_materialize,
    &cli_cmd_features_get,
    /* server commands (cmd_serve.c) */
    &cli_cmd_serve,
    /* run tracking commands (cmd_runs.c) */
    &cli_cmd_runs_list,
    &cli_cmd_runs_show,
    &cli_cmd_runs_compare,
    &cli_cmd_runs_importance,
    &cli_cmd_runs_history,
    &cli_cmd_runs_experiments,
    &cli_cmd_runs_reap,
    /* training (cmd_train.c) */
    &cli_cmd_train,
    NULL,
};

const cli_command *cli_find(const char *group, const char *name)
{
    for (size_t i = 0; cli_commands[i]; i++) {
        const cli_command *c = cli_commands[i];
        bool same_group = (!group && !c->group) || (group && c->group && !strcmp(group, c->group));
        if (same_group && name && !strcmp(c->name, name)) return c;
    }
    return NULL;
}
