/* lib/apply: kstatus rules per kind, Argo CD's names, the aggregate. */
#include "util.h"

static enum apply_health_status h(const char *yaml, const char *want_msg)
{
	struct apply_health out;
	struct doc *d = y(yaml);
	apply_health(&out, d, 1700000000);
	doc_free(d);
	if (want_msg && !strstr(out.message, want_msg)) {
		printf("# message \"%s\" lacks \"%s\"\n", out.message, want_msg);
		return (enum apply_health_status) - 1;
	}
	return out.status;
}

#define DEP                                                                                        \
	"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod, "           \
	"generation: 2}\n"

void test_apply_health__deployment(void)
{
	assert_int(h(DEP "spec: {replicas: 2}\n", "Deployment prod/web: replicas: 0/2"),
	           APPLY_PROGRESSING);
	assert_int(h(DEP "spec: {replicas: 2}\nstatus: {observedGeneration: 1, replicas: 2}\n",
	             "generation 2 not observed yet"),
	           APPLY_PROGRESSING);
	assert_int(h(DEP "spec: {replicas: 2, progressDeadlineSeconds: 600}\n"
	                 "status: {observedGeneration: 2, replicas: 2, updatedReplicas: 2, "
	                 "readyReplicas: 1, availableReplicas: 2}\n",
	             "ready: 1/2"),
	           APPLY_PROGRESSING);
	assert_int(h(DEP "spec: {replicas: 2, progressDeadlineSeconds: 600}\n"
	                 "status: {observedGeneration: 2, replicas: 2, updatedReplicas: 2, "
	                 "readyReplicas: 2, availableReplicas: 2,\n"
	                 "  conditions: [{type: Available, status: 'True'}, {type: Progressing, "
	                 "status: 'True', reason: NewReplicaSetAvailable}]}\n",
	             ""),
	           APPLY_HEALTHY);
	assert_int(h(DEP "spec: {replicas: 2, progressDeadlineSeconds: 600}\n"
	                 "status: {observedGeneration: 2, replicas: 2, updatedReplicas: 2, "
	                 "readyReplicas: 2, availableReplicas: 2,\n"
	                 "  conditions: [{type: Available, status: 'True'}, {type: Progressing, "
	                 "status: 'True', reason: ReplicaSetUpdated}]}\n",
	             "ReplicaSet not available"),
	           APPLY_PROGRESSING);
	assert_int(h(DEP "spec: {replicas: 2}\nstatus: {observedGeneration: 2, conditions: [{type: "
	                 "Progressing, status: 'False', "
	                 "reason: ProgressDeadlineExceeded}]}\n",
	             "progress deadline exceeded"),
	           APPLY_DEGRADED);
	assert_int(h(DEP "spec: {paused: true}\n", "paused"), APPLY_SUSPENDED);
	assert_int(h("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, "
	             "deletionTimestamp: '2024-01-01T00:00:00Z'}\n",
	             "being deleted"),
	           APPLY_PROGRESSING);
	assert_int(h(DEP "spec: {replicas: 0}\nstatus: {conditions: [{type: Stalled, status: "
	                 "'True', message: stuck}]}\n",
	             "stuck"),
	           APPLY_DEGRADED);
}

void test_apply_health__workloads(void)
{
	assert_int(h("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: "
	             "{replicas: 1, updateStrategy: {type: OnDelete}}\n",
	             ""),
	           APPLY_HEALTHY);
	assert_int(
	    h("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {replicas: 1}\n"
	      "status: {replicas: 1, readyReplicas: 1, currentReplicas: 1, currentRevision: a, "
	      "updateRevision: b}\n",
	      "waiting for revision b"),
	    APPLY_PROGRESSING);
	assert_int(h("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: "
	             "{replicas: 3, updateStrategy: "
	             "{rollingUpdate: {partition: 2}}}\nstatus: {replicas: 3, readyReplicas: 3, "
	             "updatedReplicas: 1}\n",
	             ""),
	           APPLY_HEALTHY);
	assert_int(h("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\nstatus: "
	             "{desiredNumberScheduled: 1}\n",
	             "not observed"),
	           APPLY_PROGRESSING);
	assert_int(h("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\nstatus: "
	             "{observedGeneration: 1, "
	             "desiredNumberScheduled: 2, currentNumberScheduled: 2, "
	             "updatedNumberScheduled: 2, numberAvailable: 1}\n",
	             "available: 1/2"),
	           APPLY_PROGRESSING);
	assert_int(h("apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: r}\nspec: {replicas: "
	             "1}\nstatus: {replicas: 1, "
	             "fullyLabeledReplicas: 1, availableReplicas: 1, readyReplicas: 1}\n",
	             ""),
	           APPLY_HEALTHY);
	assert_int(h("apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n", "not started"),
	           APPLY_PROGRESSING);
	assert_int(
	    h("apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nstatus: {startTime: x}\n", ""),
	    APPLY_HEALTHY);
	assert_int(h("apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nstatus: {conditions: "
	             "[{type: Failed, "
	             "status: 'True', message: BackoffLimitExceeded}]}\n",
	             "BackoffLimitExceeded"),
	           APPLY_DEGRADED);
	assert_int(
	    h("apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {suspend: true}\n", ""),
	    APPLY_SUSPENDED);
	assert_int(h("apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec: "
	             "{suspend: true}\n",
	             ""),
	           APPLY_SUSPENDED);
	assert_int(h("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Running, "
	             "conditions: "
	             "[{type: Ready, status: 'True'}]}\n",
	             ""),
	           APPLY_HEALTHY);
	assert_int(h("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Running, "
	             "containerStatuses: "
	             "[{name: app, state: {waiting: {reason: CrashLoopBackOff}}}]}\n",
	             "container app is in CrashLoopBackOff"),
	           APPLY_DEGRADED);
	assert_int(h("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Pending, "
	             "conditions: [{type: "
	             "PodScheduled, status: 'False', reason: Unschedulable, message: no nodes, "
	             "lastTransitionTime: '2023-11-14T22:13:00Z'}]}\n",
	             "cannot be scheduled: no nodes"),
	           APPLY_DEGRADED);
	assert_int(h("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Pending, "
	             "conditions: [{type: "
	             "PodScheduled, status: 'False', reason: Unschedulable, lastTransitionTime: "
	             "'2023-11-14T22:13:15Z'}]}\n",
	             "pending"),
	           APPLY_PROGRESSING); /* 5 s ago: not yet */
}

void test_apply_health__other_kinds(void)
{
	assert_int(h("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nstatus: "
	             "{phase: Pending}\n",
	             "not bound"),
	           APPLY_PROGRESSING);
	assert_int(
	    h("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: LoadBalancer}\n",
	      "cluster IP"),
	    APPLY_PROGRESSING);
	assert_int(
	    h("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.0.0.1}\n",
	      ""),
	    APPLY_HEALTHY);
	assert_int(h("apiVersion: apiextensions.k8s.io/v1\nkind: "
	             "CustomResourceDefinition\nmetadata: {name: a.b}\n"
	             "status: {conditions: [{type: Established, status: 'True'}]}\n",
	             ""),
	           APPLY_HEALTHY);
	assert_int(
	    h("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: "
	      "{name: a.b}\n"
	      "status: {conditions: [{type: NamesAccepted, status: 'False', message: taken}]}\n",
	      "taken"),
	    APPLY_DEGRADED);
	assert_int(h("apiVersion: apiextensions.k8s.io/v1\nkind: "
	             "CustomResourceDefinition\nmetadata: {name: a.b}\n",
	             "not established"),
	           APPLY_PROGRESSING);
	assert_int(
	    h("apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\nstatus: {phase: Active}\n",
	      ""),
	    APPLY_HEALTHY);
	assert_int(h("apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\nstatus: {phase: "
	             "Terminating}\n",
	             "Terminating"),
	           APPLY_PROGRESSING);
	assert_int(h("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: s, "
	             "namespace: n}\n"
	             "status: {conditions: [{type: Synced, status: 'False', message: 'no key could "
	             "decrypt secret (token)'}]}\n",
	             "SealedSecret n/s: no key could decrypt secret (token)"),
	           APPLY_DEGRADED);
	assert_int(h("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: s}\n",
	             "waiting for the unsealer"),
	           APPLY_PROGRESSING);
	assert_int(h("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: s}\n"
	             "status: {conditions: [{type: Synced, status: 'True'}]}\n",
	             ""),
	           APPLY_HEALTHY);
	assert_int(h("apiVersion: x.io/v1\nkind: Thing\nmetadata: {name: t}\nstatus: {conditions: "
	             "[{type: Ready, "
	             "status: 'False', reason: Waiting}]}\n",
	             "not ready: Waiting"),
	           APPLY_PROGRESSING);
	assert_int(h("apiVersion: x.io/v1\nkind: Thing\nmetadata: {name: t}\n", ""), APPLY_HEALTHY);
	assert_int(h("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", ""), APPLY_HEALTHY);
}

void test_apply_health__missing_and_the_worst_wins(void)
{
	struct apply_health agg = { APPLY_HEALTHY, "" }, one;
	apply_health(&one, NULL, 0);
	assert_int(one.status, APPLY_MISSING);
	assert_str(apply_health_name(one.status), "Missing");
	one.status = APPLY_PROGRESSING;
	snprintf(one.message, sizeof(one.message), "first");
	apply_health_merge(&agg, &one);
	snprintf(one.message, sizeof(one.message), "second progressing");
	apply_health_merge(&agg, &one); /* a tie keeps the first */
	assert_str(agg.message, "first");
	one.status = APPLY_SUSPENDED;
	apply_health_merge(&agg, &one);
	assert_int(agg.status, APPLY_PROGRESSING);
	one.status = APPLY_DEGRADED;
	snprintf(one.message, sizeof(one.message), "broken");
	apply_health_merge(&agg, &one);
	assert_int(agg.status, APPLY_DEGRADED);
	assert_str(agg.message, "broken");
	assert_str(apply_health_name(APPLY_SUSPENDED), "Suspended");
}

void test_apply_health__a_set_says_its_worst(void)
{
	struct doc *ok = y("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
	struct doc *ss =
	    y("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: s, "
	      "namespace: n}\n"
	      "status: {conditions: [{type: Synced, status: 'False', message: no key}]}\n");
	const struct doc *set[] = { ok, NULL, ss, ok };
	struct apply_health h;
	apply_health_set(&h, set, 1, 0);
	assert_int(h.status, APPLY_HEALTHY);
	assert_str(h.message, "");
	apply_health_set(&h, set, 2, 0);
	assert_int(h.status, APPLY_MISSING);
	assert_str(h.message, "not found");
	apply_health_set(&h, set, 4, 0);
	assert_int(h.status, APPLY_DEGRADED);
	assert_str(h.message, "SealedSecret n/s: no key");
	apply_health_set(&h, set, 0, 0);
	assert_int(h.status, APPLY_HEALTHY);
	doc_free(ok);
	doc_free(ss);
}
