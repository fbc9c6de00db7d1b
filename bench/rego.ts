// Rego engine benchmark: a typical set of five deny-rule policies over Terraform JSON plans of 10, 100 and
// 1,000 resource changes. Reports milliseconds per evaluation of the whole set (converting the plan to
// Rego values once, then querying each policy's `deny`), and per policy. Target: under 20 ms at 1,000.
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { compileModules, evaluate, fromJSON, toJSON } from '../src/engines/rego/index.js';
import { envNumber, median, out, round1 } from './common.js';

const POLICIES: { name: string; text: string }[] = [
  {
    name: 'instance_types',
    text: `package policies.instance_types
import rego.v1
import input.tfplan as tfplan

forbidden := {"x1.32xlarge", "x1e.32xlarge", "p4d.24xlarge", "u-6tb1.metal"}

deny contains msg if {
  some r in tfplan.resource_changes
  r.type == "aws_instance"
  r.change.actions[_] in {"create", "update"}
  t := r.change.after.instance_type
  forbidden[t]
  msg := sprintf("%s: instance type %s is not allowed", [r.address, t])
}

deny contains msg if {
  some r in tfplan.resource_changes
  r.type == "aws_instance"
  glob.match("*.metal", ["."], r.change.after.instance_type)
  msg := sprintf("%s: bare-metal instances need an exception", [r.address])
}`,
  },
  {
    name: 'required_tags',
    text: `package policies.required_tags
import rego.v1
import input.tfplan as tfplan

required := ["owner", "env", "cost_center"]
taggable := {"aws_instance", "aws_s3_bucket", "aws_ebs_volume", "aws_db_instance", "aws_security_group"}

changed(r) if {
  some a in r.change.actions
  a in {"create", "update"}
}

deny contains msg if {
  some r in tfplan.resource_changes
  taggable[r.type]
  changed(r)
  tags := object.get(r.change.after, "tags", {})
  some key in required
  not tags[key]
  msg := sprintf("%s: missing required tag %q", [r.address, key])
}

deny contains msg if {
  some r in tfplan.resource_changes
  taggable[r.type]
  changed(r)
  env := r.change.after.tags.env
  not env in {"dev", "staging", "prod"}
  msg := sprintf("%s: env tag %q must be dev, staging or prod", [r.address, env])
}`,
  },
  {
    name: 'public_s3',
    text: `package policies.public_s3
import rego.v1
import input.tfplan as tfplan

public_acls := {"public-read", "public-read-write", "authenticated-read"}

deny contains msg if {
  some r in tfplan.resource_changes
  r.type in {"aws_s3_bucket", "aws_s3_bucket_acl"}
  acl := r.change.after.acl
  public_acls[acl]
  msg := sprintf("%s: ACL %s makes the bucket public", [r.address, acl])
}

deny contains msg if {
  some r in tfplan.resource_changes
  r.type == "aws_s3_bucket_public_access_block"
  some setting in ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]
  r.change.after[setting] == false
  msg := sprintf("%s: %s must be true", [r.address, setting])
}`,
  },
  {
    name: 'open_security_groups',
    text: `package policies.open_security_groups
import rego.v1
import input.tfplan as tfplan

sensitive_ports := [22, 3389, 5432, 3306]

open_cidr(rule) if "0.0.0.0/0" in rule.cidr_blocks
open_cidr(rule) if "::/0" in rule.ipv6_cidr_blocks

deny contains msg if {
  some r in tfplan.resource_changes
  r.type == "aws_security_group"
  some rule in r.change.after.ingress
  open_cidr(rule)
  some port in sensitive_ports
  rule.from_port <= port
  port <= rule.to_port
  msg := sprintf("%s: port %d open to the internet", [r.address, port])
}

deny contains msg if {
  some r in tfplan.resource_changes
  r.type == "aws_security_group_rule"
  r.change.after.type == "ingress"
  open_cidr(r.change.after)
  r.change.after.from_port == 0
  r.change.after.to_port == 65535
  msg := sprintf("%s: all ports open to the internet", [r.address])
}`,
  },
  {
    name: 'encryption',
    text: `package policies.encryption
import rego.v1
import input.tfplan as tfplan

deny contains msg if {
  some r in tfplan.resource_changes
  r.type == "aws_ebs_volume"
  not r.change.after.encrypted
  msg := sprintf("%s: EBS volumes must be encrypted", [r.address])
}

deny contains msg if {
  some r in tfplan.resource_changes
  r.type == "aws_db_instance"
  not r.change.after.storage_encrypted == true
  msg := sprintf("%s: RDS storage must be encrypted", [r.address])
}

deny contains msg if {
  some r in tfplan.resource_changes
  r.type in {"aws_ebs_volume", "aws_db_instance"}
  key := r.change.after.kms_key_id
  is_string(key)
  not regex.match("^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$", key)
  msg := sprintf("%s: kms_key_id is not a KMS key ARN", [r.address])
}`,
  },
];

const TYPES = [
  'aws_instance',
  'aws_s3_bucket',
  'aws_s3_bucket_acl',
  'aws_security_group',
  'aws_ebs_volume',
  'aws_db_instance',
  'aws_iam_role',
  'aws_s3_bucket_public_access_block',
];
const INSTANCE_TYPES = ['t3.micro', 't3.large', 'm5.xlarge', 'c6i.2xlarge', 'x1.32xlarge', 'm5.metal'];

/** A deterministic pseudo-random sequence, so every run benchmarks the same plans. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function tags(rand: () => number, i: number): Record<string, string> {
  const t: Record<string, string> = { Name: `res-${i}` };
  if (rand() < 0.9) t.owner = `team-${i % 7}`;
  if (rand() < 0.9) t.env = ['dev', 'staging', 'prod', 'qa'][Math.floor(rand() * 4)];
  if (rand() < 0.8) t.cost_center = `cc-${100 + (i % 13)}`;
  return t;
}

function after(type: string, rand: () => number, i: number): Record<string, unknown> {
  switch (type) {
    case 'aws_instance':
      return {
        ami: 'ami-0abcdef1234567890',
        instance_type: INSTANCE_TYPES[Math.floor(rand() * INSTANCE_TYPES.length)],
        subnet_id: `subnet-${i}`,
        monitoring: rand() < 0.5,
        root_block_device: [{ volume_size: 20 + (i % 5) * 10, volume_type: 'gp3', encrypted: rand() < 0.8 }],
        tags: tags(rand, i),
      };
    case 'aws_s3_bucket':
      return {
        bucket: `bucket-${i}`,
        acl: rand() < 0.1 ? 'public-read' : 'private',
        force_destroy: false,
        tags: tags(rand, i),
      };
    case 'aws_s3_bucket_acl':
      return { bucket: `bucket-${i}`, acl: rand() < 0.1 ? 'public-read-write' : 'private' };
    case 'aws_s3_bucket_public_access_block':
      return {
        bucket: `bucket-${i}`,
        block_public_acls: rand() < 0.9,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: rand() < 0.9,
      };
    case 'aws_security_group':
      return {
        name: `sg-${i}`,
        vpc_id: 'vpc-123456',
        ingress: [
          { from_port: 443, to_port: 443, protocol: 'tcp', cidr_blocks: ['0.0.0.0/0'], ipv6_cidr_blocks: [] },
          {
            from_port: 22,
            to_port: 22,
            protocol: 'tcp',
            cidr_blocks: [rand() < 0.2 ? '0.0.0.0/0' : '10.0.0.0/8'],
            ipv6_cidr_blocks: [],
          },
        ],
        egress: [{ from_port: 0, to_port: 0, protocol: '-1', cidr_blocks: ['0.0.0.0/0'] }],
        tags: tags(rand, i),
      };
    case 'aws_ebs_volume':
      return {
        availability_zone: 'eu-west-1a',
        size: 100,
        type: 'gp3',
        encrypted: rand() < 0.8,
        kms_key_id:
          rand() < 0.5 ? 'arn:aws:kms:eu-west-1:123456789012:key/0123abcd-0123-4567-89ab-0123456789ab' : 'alias/x',
        tags: tags(rand, i),
      };
    case 'aws_db_instance':
      return {
        engine: 'postgres',
        engine_version: '16.3',
        instance_class: 'db.t4g.medium',
        allocated_storage: 50,
        storage_encrypted: rand() < 0.7,
        publicly_accessible: false,
        tags: tags(rand, i),
      };
    default:
      return { name: `role-${i}`, assume_role_policy: '{"Version":"2012-10-17","Statement":[]}' };
  }
}

/** A Terraform JSON plan (`terraform show -json`) with `n` resource changes. */
export function generatePlan(n: number, seed = 42): Record<string, unknown> {
  const rand = rng(seed + n);
  const changes: unknown[] = [];
  const planned: unknown[] = [];
  const configured: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const type = TYPES[i % TYPES.length];
    const name = `r${i}`;
    const address = `${type}.${name}`;
    const values = after(type, rand, i);
    const update = rand() < 0.2;
    changes.push({
      address,
      mode: 'managed',
      type,
      name,
      provider_name: 'registry.terraform.io/hashicorp/aws',
      change: {
        actions: update ? ['update'] : ['create'],
        before: update ? { ...values, tags: { Name: `res-${i}` } } : null,
        after: values,
        after_unknown: { id: true, arn: true },
      },
    });
    planned.push({
      address,
      mode: 'managed',
      type,
      name,
      provider_name: 'registry.terraform.io/hashicorp/aws',
      values,
    });
    configured.push({
      address,
      mode: 'managed',
      type,
      name,
      provider_config_key: 'aws',
      expressions: Object.fromEntries(Object.keys(values).map((k) => [k, { constant_value: values[k] }])),
    });
  }
  return {
    format_version: '1.2',
    terraform_version: '1.9.5',
    variables: { region: { value: 'eu-west-1' } },
    planned_values: { root_module: { resources: planned } },
    resource_changes: changes,
    configuration: {
      provider_config: { aws: { name: 'aws', expressions: { region: { references: ['var.region'] } } } },
      root_module: { resources: configured },
    },
  };
}

async function main(): Promise<void> {
  const sizes = [10, 100, 1000];
  const minMs = envNumber('BENCH_MIN_MS', 1000, 50);
  const compileStart = performance.now();
  const compiled = POLICIES.map((p) => ({
    name: p.name,
    compiled: compileModules([{ file: `${p.name}.rego`, text: p.text }]),
  }));
  const compileMs = performance.now() - compileStart;
  out(`Rego benchmark: ${POLICIES.length} deny policies, compiled in ${round1(compileMs)} ms`);
  out('');
  out(
    '| resources | plan JSON | ms per evaluation (all 5, from JSON text) | CPU ms (all threads) | JSON.parse + conversion | policies only | deny messages | steps | runs |',
  );
  out('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const summary: Record<string, unknown>[] = [];
  for (const n of sizes) {
    const plan = generatePlan(n);
    const text = JSON.stringify({ tfplan: plan });
    const once = () => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const input = fromJSON(JSON.parse(text));
      const t1 = performance.now();
      let messages = 0;
      let steps = 0;
      const perPolicy: number[] = [];
      for (const p of compiled) {
        const s = performance.now();
        const r = evaluate(p.compiled, { query: `data.policies.${p.name}.deny`, input });
        perPolicy.push(performance.now() - s);
        messages += (toJSON(r.value!) as unknown[]).length;
        steps += r.steps;
      }
      const total = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      return { total, cpu: (cpu.user + cpu.system) / 1000, convert: t1 - t0, messages, steps, perPolicy };
    };
    for (let i = 0; i < 3; i++) once();
    const runs: ReturnType<typeof once>[] = [];
    const start = performance.now();
    while (runs.length < 5 || performance.now() - start < minMs) runs.push(once());
    const total = median(runs.map((r) => r.total));
    const convert = median(runs.map((r) => r.convert));
    const per = compiled.map((p, i) => ({
      policy: p.name,
      ms: Number(median(runs.map((r) => r.perPolicy[i])).toFixed(2)),
    }));
    const policies = median(runs.map((r) => r.total - r.convert));
    const cpu = median(runs.map((r) => r.cpu));
    out(
      `| ${n} | ${Math.round(text.length / 1024)} KiB | ${total.toFixed(2)} | ${cpu.toFixed(2)} | ${convert.toFixed(2)} | ${policies.toFixed(2)} | ${runs[0].messages} | ${runs[0].steps} | ${runs.length} |`,
    );
    summary.push({
      resources: n,
      ms: Number(total.toFixed(3)),
      convertMs: Number(convert.toFixed(3)),
      policiesMs: Number(policies.toFixed(3)),
      cpuMs: Number(cpu.toFixed(3)),
      runs: runs.length,
      per,
    });
  }
  out('');
  for (const s of summary) {
    const per = (s.per as { policy: string; ms: number }[]).map((p) => `${p.policy} ${p.ms} ms`).join(', ');
    out(`${s.resources} resources, per policy (median): ${per}`);
  }
  const at1000 = summary.find((s) => s.resources === 1000)!.ms as number;
  out('');
  out(
    `1,000 resources: ${at1000.toFixed(2)} ms per evaluation of the 5 policies from the plan's JSON text (target: under 20 ms)`,
  );
  out(
    `load average while running: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${availableParallelism()} cores (noisy when high)`,
  );
  out(`BENCH_RESULT ${JSON.stringify({ ok: true, compileMs: Number(compileMs.toFixed(3)), summary })}`);
}

if (process.argv[1]?.endsWith('rego.ts') || process.argv[1]?.endsWith('rego.js'))
  main().catch((error) => {
    out(`BENCH_RESULT ${JSON.stringify({ ok: false, error: String(error) })}`);
    process.exitCode = 1;
  });
