/** The source of the events SMS publishes (the SMS User Guide, "Using Amazon CloudWatch Events and AWS Lambda with AWS SMS"). */
export const SMS_EVENT_SOURCE = 'aws.sms';

/** The detail-type of SMS's events about a replication job (the same guide's "Event Type"). */
export const JOB_STATE_CHANGE = 'Server Migration Job State Change';

/** The path of the AMI's ID in the detail of a job state change that made one (ReplicationJobEvent.amiId). */
export const AMI_ID_PATH = '$.detail.ami-id';
