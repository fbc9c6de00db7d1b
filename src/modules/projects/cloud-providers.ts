import type { components } from '../../generated/contract.js';

type CloudProvider = components['schemas']['CloudProvider'];

/**
 * The cloud providers stacks and environments may name: static data, the same for every organization.
 * Canonicals are the contract's enum (Terraform provider names); regions are each provider's public ones.
 */
export const CLOUD_PROVIDERS: readonly CloudProvider[] = [
  {
    id: 1,
    canonical: 'aws',
    name: 'Amazon Web Services',
    abbreviation: 'AWS',
    regions: [
      'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'sa-east-1',
      'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1',
      'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2',
      'me-south-1', 'af-south-1',
    ],
  },
  {
    id: 2,
    canonical: 'google',
    name: 'Google Cloud Platform',
    abbreviation: 'GCP',
    regions: [
      'us-central1', 'us-east1', 'us-east4', 'us-west1', 'us-west2', 'northamerica-northeast1',
      'southamerica-east1', 'europe-west1', 'europe-west2', 'europe-west3', 'europe-west4', 'europe-west6',
      'europe-west9', 'europe-north1', 'asia-east1', 'asia-northeast1', 'asia-south1', 'asia-southeast1',
      'australia-southeast1',
    ],
  },
  {
    id: 3,
    canonical: 'azurerm',
    name: 'Microsoft Azure',
    abbreviation: 'Azure',
    regions: [
      'eastus', 'eastus2', 'westus', 'westus2', 'centralus', 'canadacentral', 'brazilsouth', 'northeurope',
      'westeurope', 'francecentral', 'germanywestcentral', 'uksouth', 'swedencentral', 'eastasia',
      'southeastasia', 'japaneast', 'australiaeast', 'centralindia',
    ],
  },
  {
    id: 4,
    canonical: 'flexibleengine',
    name: 'Flexible Engine',
    abbreviation: 'FE',
    regions: ['eu-west-0', 'eu-west-2'],
  },
  { id: 5, canonical: 'openstack', name: 'OpenStack', abbreviation: 'OS', regions: [] },
  {
    id: 6,
    canonical: 'scaleway',
    name: 'Scaleway',
    abbreviation: 'SCW',
    regions: ['fr-par', 'nl-ams', 'pl-waw'],
  },
  { id: 7, canonical: 'vmware', name: 'VMware', abbreviation: 'VMW', regions: [] },
  {
    id: 8,
    canonical: 'ovh',
    name: 'OVHcloud',
    abbreviation: 'OVH',
    regions: ['GRA', 'SBG', 'RBX', 'BHS', 'WAW', 'DE', 'UK', 'SGP', 'SYD'],
  },
  {
    id: 9,
    canonical: 'alibaba',
    name: 'Alibaba Cloud',
    abbreviation: 'Ali',
    regions: ['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'cn-hongkong', 'ap-southeast-1', 'eu-central-1', 'us-west-1'],
  },
  {
    id: 10,
    canonical: 'oracle',
    name: 'Oracle Cloud Infrastructure',
    abbreviation: 'OCI',
    regions: ['us-ashburn-1', 'us-phoenix-1', 'eu-frankfurt-1', 'eu-amsterdam-1', 'uk-london-1', 'ap-tokyo-1'],
  },
  { id: 11, canonical: 'vsphere', name: 'VMware vSphere', abbreviation: 'vSphere', regions: [] },
  { id: 12, canonical: 'kubernetes', name: 'Kubernetes', abbreviation: 'K8s', regions: [] },
];
