{{/* job renders a Job that KWOK completes, or that fails when .fail is set (its pod
can never be scheduled and its deadline passes). */}}
{{- define "hooks.job" -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .name }}
  annotations:
    helm.sh/hook: {{ .hook }}
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  backoffLimit: 0
  {{- if .fail }}
  activeDeadlineSeconds: 2
  {{- end }}
  template:
    spec:
      restartPolicy: Never
      {{- if .fail }}
      nodeSelector:
        ferry.test/no-such-node: "true"
      {{- end }}
      containers:
        - name: job
          image: registry.example/job:1.0.0
{{- end -}}
